import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Payment } from '../../db/entities';
import { ErrorSchema, notFound } from '../errors';
import { IdParams, ListQuery, definedOnly, listOf, paginate } from '../schemas';
import { PaymentStatus, PaymentResource } from './schemas';
import { paymentResource } from './serialization';
import { STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

export const paymentsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm }) => {
  const read = { roles: STAFF };

  app.get(
    '/payments',
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
    '/payments/:id',
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
