import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Payment } from '../../db/entities';
import { ErrorSchema, notFound } from '../errors';
import { IdParams, ListQuery, Nullable, Timestamp, definedOnly, iso, listOf, paginate } from '../schemas';

const PaymentStatus = Type.Enum(['pending', 'succeeded', 'failed']);

export const PaymentResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('payment'),
    invoice: Type.String(),
    customer: Type.String(),
    attempt: Nullable(Type.Integer({ description: '1 for the first charge of the invoice; retries count up; null for an offline payment' })),
    reference: Nullable(Type.String({ description: 'Offline payments: check number, transfer reference, ...' })),
    amount: Type.Integer(),
    amount_refunded: Type.Integer({ description: 'Sum of succeeded refunds of this payment' }),
    currency: Type.String(),
    status: PaymentStatus,
    gateway: Type.String({ description: 'sandbox or stripe' }),
    payment_method: Type.String(),
    gateway_charge_id: Nullable(Type.String()),
    failure_code: Nullable(Type.String()),
    failure_message: Nullable(Type.String()),
    created_at: Timestamp,
    completed_at: Nullable(Timestamp),
  },
  { $id: 'Payment' },
);

export const paymentResource = (p: Payment) => ({
  id: p.id,
  object: 'payment' as const,
  invoice: p.invoiceId,
  customer: p.customerId,
  attempt: p.attempt,
  reference: p.reference,
  amount: p.amount,
  amount_refunded: p.amountRefunded,
  currency: p.currency.toLowerCase(),
  status: p.status,
  gateway: p.gateway,
  payment_method: p.paymentMethod,
  gateway_charge_id: p.gatewayChargeId,
  failure_code: p.failureCode,
  failure_message: p.failureMessage,
  created_at: iso(p.createdAt)!,
  completed_at: iso(p.completedAt),
});

export const paymentsRoutes: FastifyPluginAsyncTypebox<{ orm: MikroORM }> = async (app, { orm }) => {
  const read = { roles: ['admin', 'operator', 'sales'] as const };

  app.get(
    '/v1/payments',
    {
      config: read,
      schema: {
        tags: ['payments'],
        summary: 'List payment attempts, newest first',
        querystring: Type.Object(
          {
            ...ListQuery,
            status: Type.Optional(PaymentStatus),
            customer: Type.Optional(Type.String({ maxLength: 64 })),
            invoice: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(PaymentResource, 'Payment'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { status, customer, invoice } = request.query;
      return paginate(
        orm.em.fork(),
        Payment,
        definedOnly({ status, customerId: customer, invoiceId: invoice }),
        request.query,
        paymentResource,
      );
    },
  );

  app.get(
    '/v1/payments/:id',
    {
      config: read,
      schema: { tags: ['payments'], summary: 'Retrieve a payment attempt', params: IdParams, response: { 200: PaymentResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const payment = await orm.em.fork().findOne(Payment, { id: request.params.id });
      if (!payment) throw notFound('payment', request.params.id);
      return paymentResource(payment);
    },
  );
};
