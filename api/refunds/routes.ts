import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { LockMode } from '@mikro-orm/core';
import { Payment, Refund } from '../../db/entities';
import { newId } from '../../db/ids';
import { refundIdempotencyKey } from '../../domain/idempotency-keys';
import { refundWorkflowId, type RefundWorkflowInput } from '../../workflows/refund/contract';
import type { refundWorkflow } from '../../workflows/refund/workflow';
import { CustomerIdAttribute } from '../../workflows/shared/search-attributes';
import { ApiError, ErrorSchema, conflict, notFound, unprocessable } from '../errors';
import { IdParams, ListQuery, definedOnly, listOf, paginate } from '../schemas';
import { workflowCallError } from '../workflow-errors';
import { RefundStatus, RefundResource, CreateRefund } from './schemas';
import { refundResource } from './serialization';
import { ADMIN_AND_OPERATOR, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

/** How long the payment row stays locked waiting for Temporal to accept the refund workflow. */
const START_DEADLINE_MS = 10_000;

export type RefundRoutesOptions = RouteDeps & {
  /** How long `POST /v1/refunds` waits for the refund workflow before answering with the refund still pending. */
  refundAnswerWaitMs: number;
};

export const refundsRoutes: FastifyPluginAsyncTypebox<RefundRoutesOptions> = async (app, { orm, temporal, taskQueue, refundAnswerWaitMs }) => {
  const read = { roles: STAFF };

  async function load(id: string): Promise<Refund> {
    const refund = await orm.em.fork().findOne(Refund, { id });
    if (!refund) throw notFound('refund', id);
    return refund;
  }

  app.post(
    '/refunds',
    {
      config: { roles: ADMIN_AND_OPERATOR },
      schema: {
        tags: ['refunds'],
        summary: 'Refund all or part of a succeeded payment',
        description:
          'Refunds to the original payment method through the gateway that took the payment. The answer waits a few ' +
          'seconds for the gateway: `status` is succeeded or failed then, or still pending (the refund completes on its ' +
          'own; read it again later). Offline payments (check, bank transfer, cash) are recorded as refunded at once: ' +
          'the money is returned outside the system. The sum of pending and succeeded refunds never exceeds the payment.',
        body: CreateRefund,
        response: { 200: RefundResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const refund = await orm.em.fork().transactional(async (em) => {
        // The payment row is the lock concurrent refunds of the same payment queue on: the sum below
        // cannot change until this transaction has inserted its refund and committed.
        const payment = await em.findOne(Payment, { id: body.payment }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!payment) throw new ApiError(404, 'invalid_request_error', 'resource_missing', `No such payment: '${body.payment}'`, 'payment');
        if (payment.status !== 'succeeded') {
          throw conflict('payment_not_refundable', `Payment ${payment.id} is ${payment.status}; only a succeeded payment can be refunded.`);
        }
        const [reserved] = await em.execute<{ total: string }[]>(
          `select coalesce(sum(amount), 0) as total from refunds where payment_id = ? and status in ('pending', 'succeeded')`,
          [payment.id],
        );
        const refundable = payment.amount - Number(reserved?.total ?? 0);
        if (body.amount === undefined && refundable <= 0) {
          throw conflict('charge_already_refunded', `Payment ${payment.id} has already been refunded in full.`);
        }
        const amount = body.amount ?? refundable;
        if (amount > refundable) {
          throw unprocessable(
            'amount',
            'amount_too_large',
            `Refund amount (${amount}) is greater than what is left to refund on payment ${payment.id} (${refundable}).`,
          );
        }
        const id = newId('refund');
        const created = em.create(Refund, {
          id,
          paymentId: payment.id,
          invoiceId: payment.invoiceId,
          customerId: payment.customerId,
          amount,
          currency: payment.currency,
          reason: body.reason ?? null,
          status: 'pending',
          gateway: payment.gateway,
          gatewayRefundId: null,
          idempotencyKey: refundIdempotencyKey(id),
          failureReason: null,
          note: body.note ?? null,
          createdAt: new Date(),
          completedAt: null,
        });
        await em.flush();
        // Started before the commit, so there is never a committed pending refund without a workflow
        // to execute it (the API process may die at any point). The workflow's first activity waits
        // on the payment row this transaction holds; if the transaction rolls back, the workflow
        // finds no refund and ends without touching the gateway.
        try {
          const input: RefundWorkflowInput = { refundId: id, paymentId: payment.id };
          await temporal.withDeadline(Date.now() + START_DEADLINE_MS, () =>
            temporal.workflow.start<typeof refundWorkflow>('refundWorkflow', {
              taskQueue,
              workflowId: refundWorkflowId(id),
              args: [input],
              typedSearchAttributes: [{ key: CustomerIdAttribute, value: payment.customerId }],
            }),
          );
        } catch (err) {
          throw workflowCallError(err, `Cannot start refund ${id}`);
        }
        return created;
      });

      const handle = temporal.workflow.getHandle<typeof refundWorkflow>(refundWorkflowId(refund.id));
      try {
        await temporal.withDeadline(Date.now() + refundAnswerWaitMs, () => handle.result());
      } catch (err) {
        // Not finished in time (or the workflow failed): the refund row says where it stands.
        request.log.info({ err, refundId: refund.id }, 'refund workflow has not finished; answering with the refund as recorded');
      }
      return refundResource(await load(refund.id));
    },
  );

  app.get(
    '/refunds',
    {
      config: read,
      schema: {
        tags: ['refunds'],
        summary: 'List refunds, newest first',
        querystring: Type.Object(
          {
            ...ListQuery,
            status: Type.Optional(RefundStatus),
            payment: Type.Optional(Type.String({ maxLength: 64 })),
            invoice: Type.Optional(Type.String({ maxLength: 64 })),
            customer: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(RefundResource, 'Refund'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { status, payment, invoice, customer } = request.query;
      return paginate(
        orm.em.fork(),
        Refund,
        definedOnly({ status, paymentId: payment, invoiceId: invoice, customerId: customer }),
        request.query,
        refundResource,
      );
    },
  );

  app.get(
    '/refunds/:id',
    {
      config: read,
      schema: { tags: ['refunds'], summary: 'Retrieve a refund', params: IdParams, response: { 200: RefundResource, '4xx': ErrorSchema } },
    },
    async (request) => refundResource(await load(request.params.id)),
  );
};
