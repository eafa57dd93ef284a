import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import Stripe from 'stripe';
import { ApiError, ErrorSchema, invalidParam, serviceUnavailable } from '../errors';
import { StripeWebhookRouter, TemporalUnavailableError, type StripeEventEnvelope } from '../../services/webhooks/webhook-routing';
import { WebhookReceipt } from './schemas';
import type { RouteDeps } from '../route-deps';

/** Stripe's own default: a signature older than this is refused, so a captured request cannot be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const SIGNATURE_HEADER = 'Stripe-Signature';

/** 9999-12-31T23:59:59Z: later `created` values are no timestamp PostgreSQL (or a JS Date) can hold. */
const LAST_STORABLE_SECOND = 253_402_300_799;

const signatureError = (code: string, message: string) => invalidParam(SIGNATURE_HEADER, message, code);

/** The signed payload, checked for what storing and routing read. Only Stripe (or a holder of the secret) gets this far. */
function envelopeOf(event: Record<string, unknown>): StripeEventEnvelope {
  const invalid = (field: string, expected: string) => invalidParam(field, `Invalid ${field}: expected ${expected}.`, 'invalid_payload');
  if (typeof event.id !== 'string' || event.id === '' || event.id.length > 255) throw invalid('id', 'the event id (evt_...)');
  if (typeof event.type !== 'string' || event.type === '' || event.type.length > 255) throw invalid('type', 'the event type');
  if (typeof event.created !== 'number' || !Number.isSafeInteger(event.created) || event.created < 0 || event.created > LAST_STORABLE_SECOND) {
    throw invalid('created', 'a Unix timestamp in seconds');
  }
  const data = event.data as { object?: unknown } | undefined;
  if (typeof data !== 'object' || data === null || typeof data.object !== 'object' || data.object === null || Array.isArray(data.object)) {
    throw invalid('data[object]', 'an object');
  }
  // Every field is kept (operators read the whole event); the ones routing reads are normalised.
  return {
    ...event,
    id: event.id,
    type: event.type,
    created: event.created,
    api_version: typeof event.api_version === 'string' ? event.api_version : null,
    livemode: event.livemode === true,
    data: data as StripeEventEnvelope['data'],
  };
}

export type StripeWebhookRoutesOptions = RouteDeps & {
  /** The endpoint's signing secret (whsec_...); unset turns the endpoint off (404 with a clear reason). */
  secret: string | undefined;
};

/**
 * `POST /v1/webhooks/stripe`: public (Stripe holds no API key; the signature is the authentication).
 * Register it as its own plugin: it replaces the body parsers in its encapsulated context only, because
 * the signature covers the exact bytes Stripe sent and a parsed-then-serialised body would not verify.
 */
export const stripeWebhookRoutes: FastifyPluginAsyncTypebox<StripeWebhookRoutesOptions> = async (app, { secret, orm, temporal, workflowAnswerTimeoutMs }) => {
  // A signal waits no longer than an update would; past that the event is left for Stripe's redelivery.
  const router = new StripeWebhookRouter({ orm, temporal, signalTimeoutMs: workflowAnswerTimeoutMs });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post(
    '/webhooks/stripe',
    {
      config: { public: true },
      schema: {
        tags: ['webhooks'],
        summary: 'Stripe webhook endpoint',
        description:
          `Point a Stripe webhook endpoint here. The ${SIGNATURE_HEADER} header is verified against STRIPE_WEBHOOK_SECRET ` +
          `(tolerance ${SIGNATURE_TOLERANCE_SECONDS} s). Each event is stored once by its id; payment_intent.succeeded, ` +
          'payment_intent.payment_failed, charge.refunded and charge.dispute.created are routed to the invoice\'s collection ' +
          'workflow, other types are kept as ignored. 400: bad, missing or stale signature. 404: no secret configured. ' +
          '503: Temporal did not answer; Stripe redelivers and the stored event is routed then.',
        security: [],
        headers: Type.Object({ 'stripe-signature': Type.Optional(Type.String({ description: 't=<unix time>,v1=<HMAC-SHA256>' })) }),
        response: { 200: WebhookReceipt, '4xx': ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request) => {
      if (!secret) {
        throw new ApiError(
          404,
          'invalid_request_error',
          'webhook_endpoint_not_configured',
          'Stripe webhooks are not enabled on this server: set STRIPE_WEBHOOK_SECRET to the endpoint\'s signing secret (whsec_...).',
        );
      }
      const header = request.headers['stripe-signature'];
      if (typeof header !== 'string' || header.trim() === '') throw signatureError('invalid_signature', `No ${SIGNATURE_HEADER} header.`);
      const payload = typeof request.body === 'string' ? request.body : '';

      let event: Record<string, unknown>;
      try {
        event = Stripe.webhooks.constructEvent(payload, header, secret, SIGNATURE_TOLERANCE_SECONDS) as unknown as Record<string, unknown>;
      } catch (err) {
        if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
          // The SDK checks the signature before the age, so this message means a genuine but old request.
          if (/tolerance/i.test(err.message)) {
            throw signatureError(
              'timestamp_outside_tolerance',
              `The ${SIGNATURE_HEADER} timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s old (a replayed request, or this server's clock is off).`,
            );
          }
          throw signatureError('invalid_signature', `The ${SIGNATURE_HEADER} header does not verify: ${err.message.split('\n')[0]}`);
        }
        // Signed but not JSON: only someone holding the secret can send this.
        if (err instanceof SyntaxError) throw invalidParam('body', 'The webhook payload is not valid JSON.', 'invalid_payload');
        throw err;
      }
      if (typeof event !== 'object' || event === null || Array.isArray(event)) throw invalidParam('body', 'The webhook payload is not an event object.', 'invalid_payload');

      const envelope = envelopeOf(event);
      const stored = await router.store(envelope);
      let result;
      try {
        result = await router.route(stored.id, 'delivery');
      } catch (err) {
        if (err instanceof TemporalUnavailableError) {
          request.log.warn({ err, eventId: envelope.id }, 'webhook event kept for redelivery');
          throw serviceUnavailable(`Event ${envelope.id} is stored but could not be routed yet; redeliver it.`);
        }
        throw err;
      }
      if (!result) throw new Error(`webhook event row ${stored.id} vanished`);
      return {
        received: true as const,
        id: result.row.id,
        event_id: result.row.eventId,
        status: result.row.status,
        // Whichever delivery routed the event is the original; every other one (earlier, later, or a
        // concurrent one that stored the row but lost the lock to this one) changed nothing.
        duplicate: !result.processed,
      };
    },
  );
};
