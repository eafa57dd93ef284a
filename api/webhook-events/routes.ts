import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { WebhookEvent } from '../../db/entities';
import { ErrorSchema, conflict, notFound, serviceUnavailable } from '../errors';
import { IdParams, ListQuery, definedOnly, listOf, paginate } from '../schemas';
import { StripeWebhookRouter, TemporalUnavailableError } from '../../services/webhooks/webhook-routing';
import { WebhookEventStatusSchema, WebhookEventResource } from './schemas';
import { webhookEventResource } from './serialization';
import { ADMIN_AND_OPERATOR } from '../roles';
import type { RouteDeps } from '../route-deps';

/** Operators see every stored gateway event, including unroutable ones, and send those on again once fixed. */
export const webhookEventsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm, temporal, workflowAnswerTimeoutMs }) => {
  const router = new StripeWebhookRouter({ orm, temporal, signalTimeoutMs: workflowAnswerTimeoutMs });
  const operators = { roles: ADMIN_AND_OPERATOR };

  app.get(
    '/webhook-events',
    {
      config: operators,
      schema: {
        tags: ['webhooks'],
        summary: 'List received gateway webhook events, newest first',
        querystring: Type.Object(
          {
            ...ListQuery,
            status: Type.Optional(WebhookEventStatusSchema),
            type: Type.Optional(Type.String({ maxLength: 100, examples: ['charge.refunded'] })),
            invoice: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(WebhookEventResource, 'WebhookEvent'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { status, type, invoice } = request.query;
      return paginate(orm.em.fork(), WebhookEvent, definedOnly({ status, type, invoiceId: invoice }), request.query, webhookEventResource);
    },
  );

  app.get(
    '/webhook-events/:id',
    {
      config: operators,
      schema: { tags: ['webhooks'], summary: 'Retrieve a webhook event', params: IdParams, response: { 200: WebhookEventResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const event = await orm.em.fork().findOne(WebhookEvent, { id: request.params.id });
      if (!event) throw notFound('webhook_event', request.params.id);
      return webhookEventResource(event);
    },
  );

  app.post(
    '/webhook-events/:id/retry',
    {
      config: operators,
      schema: {
        tags: ['webhooks'],
        summary: 'Route an unroutable, failed or still-received event again',
        description:
          'Looks the invoice up again and signals its collection workflow, as a delivery would. ' +
          'Routed and ignored events answer 409. A 503 means Temporal did not answer; the event stays received.',
        params: IdParams,
        response: { 200: WebhookEventResource, '4xx': ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request) => {
      let result;
      try {
        result = await router.route(request.params.id, 'retry');
      } catch (err) {
        if (err instanceof TemporalUnavailableError) throw serviceUnavailable(`${err.message}. The event stays received; retry shortly.`);
        throw err;
      }
      if (!result) throw notFound('webhook_event', request.params.id);
      if (!result.processed) {
        throw conflict('webhook_event_not_retryable', `Webhook event ${result.row.id} is ${result.row.status}; only unroutable, failed or received events are routed again.`);
      }
      return webhookEventResource(result.row);
    },
  );
};
