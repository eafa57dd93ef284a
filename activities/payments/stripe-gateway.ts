import Stripe from 'stripe';
import { ChargeOutcome, ChargeRequest, GatewayUnavailableError, PaymentGateway, RefundOutcome, RefundRequest } from './gateway';
import { stripeRefundStatus } from '../../services/webhooks/stripe-refund-status';

/**
 * The Stripe API version we are written against. Pinned rather than left to the account default so a
 * dashboard upgrade cannot change response shapes under running workflows. The SDK types only accept
 * the version the SDK itself was generated for, so an SDK upgrade fails type-checking here until
 * someone reads Stripe's changelog and moves this on purpose.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive';

export interface StripeClientOptions {
  secretKey: string;
  /** Another API endpoint, e.g. `http://localhost:12111` for stripe-mock. Defaults to api.stripe.com. */
  apiBase?: string;
  /** Per-attempt timeout; a charge that takes longer is an unknown outcome and is retried with the same key. */
  timeoutMs?: number;
}

export function createStripeClient(options: StripeClientOptions): Stripe {
  return new Stripe(options.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    // The SDK retries network failures and 409/5xx itself, reusing our idempotency key, which
    // absorbs short blips before Temporal's slower activity retry has to.
    maxNetworkRetries: 2,
    timeout: options.timeoutMs ?? 20_000,
    typescript: true,
    ...(options.apiBase === undefined ? {} : endpointOf(options.apiBase)),
  });
}

function endpointOf(apiBase: string): { host: string; port: number; protocol: 'http' | 'https' } {
  const url = new URL(apiBase);
  const protocol = url.protocol.replace(/:$/, '');
  if (protocol !== 'http' && protocol !== 'https') {
    throw new Error(`Stripe API base must be an http(s) URL, got ${apiBase}`);
  }
  const port = url.port === '' ? (protocol === 'https' ? 443 : 80) : Number(url.port);
  return { host: url.hostname, port, protocol };
}

/** Charges saved payment methods off-session through Stripe PaymentIntents. */
export class StripeGateway implements PaymentGateway {
  readonly name = 'stripe';

  constructor(private readonly stripe: Stripe) {}

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.stripe.paymentIntents.create(
        {
          amount: request.amount,
          currency: request.currency.toLowerCase(),
          ...(request.gatewayCustomerId === undefined ? {} : { customer: request.gatewayCustomerId }),
          payment_method: request.paymentMethod,
          confirm: true,
          // The customer is not present: Stripe must not try to redirect them or start 3DS, and
          // without a return_url it rejects confirm=true unless redirect-based methods are excluded.
          off_session: true,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          description: request.description,
          metadata: request.metadata,
        },
        { idempotencyKey: request.idempotencyKey },
      );
    } catch (error) {
      return declineOrThrow(error);
    }
    return outcomeOf(intent);
  }

  /** Refunds to the original payment method; the PaymentIntent resolves to its latest charge at Stripe. */
  async refund(request: RefundRequest): Promise<RefundOutcome> {
    let refund: Stripe.Refund;
    try {
      refund = await this.stripe.refunds.create(
        {
          payment_intent: request.gatewayChargeId,
          amount: request.amount,
          ...(request.reason === null ? {} : { reason: request.reason }),
          metadata: request.metadata,
        },
        { idempotencyKey: request.idempotencyKey },
      );
    } catch (error) {
      return refusedOrThrow(error);
    }
    return refundOutcomeOf(refund);
  }

  async retrieveRefund(gatewayRefundId: string): Promise<RefundOutcome> {
    let refund: Stripe.Refund;
    try {
      refund = await this.stripe.refunds.retrieve(gatewayRefundId);
    } catch (error) {
      throwUnavailableOrRejected(error, 'refund lookup');
    }
    return refundOutcomeOf(refund);
  }
}

function refundOutcomeOf(refund: Stripe.Refund): RefundOutcome {
  switch (stripeRefundStatus(refund.status)) {
    case 'succeeded':
      return { status: 'succeeded', gatewayRefundId: refund.id };
    case 'pending':
      return { status: 'pending', gatewayRefundId: refund.id };
    case 'failed':
      return { status: 'failed', gatewayRefundId: refund.id, failureReason: refund.status === 'canceled' ? 'canceled' : refund.failure_reason || 'unknown' };
    default:
      throw new Error(`Refund ${refund.id} is in unexpected status ${String(refund.status)}`);
  }
}

/**
 * Stripe refuses a refund it cannot make with an invalid request (charge_already_refunded,
 * charge_disputed, amount too large, unknown PaymentIntent): nothing was refunded, and asking again
 * gets the same answer, so it is a failed refund with the reason, for the operator to read.
 */
function refusedOrThrow(error: unknown): RefundOutcome {
  const { errors } = Stripe;
  if (error instanceof errors.StripeInvalidRequestError && !(error instanceof errors.StripeIdempotencyError)) {
    return { status: 'failed', gatewayRefundId: null, failureReason: `${error.code || 'invalid_request'}: ${error.message}` };
  }
  throwUnavailableOrRejected(error, 'refund request');
}

function throwUnavailableOrRejected(error: unknown, what: string): never {
  const { errors } = Stripe;
  if (
    error instanceof errors.StripeConnectionError ||
    error instanceof errors.StripeRateLimitError ||
    error instanceof errors.StripeAPIError
  ) {
    throw new GatewayUnavailableError(`Stripe is unavailable: ${error.message}`, { cause: error });
  }
  if (error instanceof errors.StripeError) {
    // Reused idempotency key, bad API key, missing permission: someone has to fix the configuration.
    throw new Error(`Stripe rejected the ${what}: ${error.message}`, { cause: error });
  }
  throw error;
}

function outcomeOf(intent: Stripe.PaymentIntent): ChargeOutcome {
  switch (intent.status) {
    case 'succeeded':
      return { status: 'succeeded', gatewayChargeId: intent.id };
    case 'requires_action':
      // The bank wants the customer to authenticate, which cannot happen off-session: the customer
      // has to come back (portal, emailed link) and pay this invoice themselves.
      return {
        status: 'failed',
        gatewayChargeId: intent.id,
        failureCode: 'authentication_required',
        failureMessage: 'The card issuer requires the customer to authenticate this payment.',
      };
    case 'processing':
      // Not settled either way yet (some banks answer late). Calling again with the same key
      // returns the PaymentIntent's current state, so let the activity retry rather than guess.
      throw new GatewayUnavailableError(`PaymentIntent ${intent.id} is still processing`);
    case 'requires_payment_method':
    case 'canceled': {
      const lastError = intent.last_payment_error;
      return {
        status: 'failed',
        gatewayChargeId: intent.id,
        failureCode: lastError?.decline_code || lastError?.code || 'payment_failed',
        failureMessage: lastError?.message || `The payment was not completed (${intent.status}).`,
      };
    }
    default:
      // requires_confirmation / requires_capture contradict confirm=true with automatic capture:
      // a bug on our side, and the money may be on hold, so an operator has to look.
      throw new Error(`PaymentIntent ${intent.id} is in unexpected status ${intent.status}`);
  }
}

function declineOrThrow(error: unknown): ChargeOutcome {
  const { errors } = Stripe;
  if (error instanceof errors.StripeCardError) {
    return {
      status: 'failed',
      ...(error.payment_intent?.id === undefined ? {} : { gatewayChargeId: error.payment_intent.id }),
      // The SDK sets decline_code to '' (not undefined) when Stripe sends none, hence `||`.
      failureCode: error.decline_code || error.code || 'card_declined',
      failureMessage: error.message,
    };
  }
  if (error instanceof errors.StripeInvalidRequestError && error.param === 'payment_method') {
    // The saved payment method is gone or unusable (detached, deleted, another customer's): a
    // failed payment the customer fixes by updating their details, the same answer the sandbox gives.
    return { status: 'failed', failureCode: 'invalid_payment_method', failureMessage: error.message };
  }
  if (
    error instanceof errors.StripeConnectionError ||
    error instanceof errors.StripeRateLimitError ||
    error instanceof errors.StripeAPIError
  ) {
    // We cannot tell whether Stripe charged the card: the caller retries with the same key, and
    // Stripe replays the first result if there was one.
    throw new GatewayUnavailableError(`Stripe is unavailable: ${error.message}`, { cause: error });
  }
  if (error instanceof errors.StripeError) {
    // Invalid request, reused idempotency key, bad API key, missing permission: retrying the same
    // request cannot succeed, someone has to fix the data or the configuration.
    throw new Error(`Stripe rejected the charge request: ${error.message}`, { cause: error });
  }
  throw error;
}
