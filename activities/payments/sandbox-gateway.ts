import { createHash } from 'node:crypto';
import { ChargeOutcome, ChargeRequest, PaymentGateway, RefundOutcome, RefundRequest } from './gateway';

/**
 * The embedded default gateway: no money moves, but saved payment methods behave like Stripe's test
 * payment methods, so the same card gives the same result in the sandbox and in Stripe test mode.
 */

export type SandboxDeclineCode = 'generic_decline' | 'insufficient_funds' | 'expired_card' | 'processing_error' | 'authentication_required';

export interface SandboxTestPaymentMethod {
  /** What to save as the customer's payment method: a Stripe test payment method id. */
  paymentMethod: string;
  outcome: 'succeeded' | SandboxDeclineCode;
}

/** Stripe's wording for each decline, so customers and operators see the same text in both gateways. */
const DECLINE_MESSAGES: Record<SandboxDeclineCode, string> = {
  generic_decline: 'Your card was declined.',
  insufficient_funds: 'Your card has insufficient funds.',
  expired_card: 'Your card has expired.',
  processing_error: 'An error occurred while processing your card. Try again in a little bit.',
  authentication_required: 'Your card was declined. This transaction requires authentication.',
};

/**
 * For docs and the README. Any other `pm_card_...` token succeeds, except unlisted
 * `pm_card_chargeDeclined...` tokens, which decline with generic_decline (Stripe has more of them
 * than we model). Anything else fails with `invalid_payment_method`.
 */
export const SANDBOX_TEST_PAYMENT_METHODS: readonly SandboxTestPaymentMethod[] = [
  { paymentMethod: 'pm_card_visa', outcome: 'succeeded' },
  { paymentMethod: 'pm_card_mastercard', outcome: 'succeeded' },
  { paymentMethod: 'pm_card_chargeDeclined', outcome: 'generic_decline' },
  { paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds', outcome: 'insufficient_funds' },
  { paymentMethod: 'pm_card_chargeDeclinedExpiredCard', outcome: 'expired_card' },
  { paymentMethod: 'pm_card_chargeDeclinedProcessingError', outcome: 'processing_error' },
  // Stripe's 3-D Secure test cards. 4000 0025 0000 3155 asks for authentication when it is saved
  // (the card entry form's 3-D Secure step), then charges off-session without it.
  { paymentMethod: 'pm_card_authenticationRequiredOnSetup', outcome: 'succeeded' },
  // 4000 0027 6000 3184 asks for authentication on every payment: off-session, where nobody can
  // authenticate, Stripe declines it (the PaymentIntent stays requires_action), and so do we.
  { paymentMethod: 'pm_card_authenticationRequired', outcome: 'authentication_required' },
];

export interface SandboxCharge {
  request: ChargeRequest;
  outcome: ChargeOutcome;
}

/**
 * Durable memory of sandbox charges by idempotency key, shared by every worker process (PostgreSQL
 * in the running stack), so a retried or replayed activity gets the first answer like at Stripe.
 */
export interface SandboxLedger {
  /**
   * Stores the charge under the key unless one is already stored, atomically, and returns the
   * stored charge: the first write wins, later callers get the first request and outcome back.
   */
  recordOnce(idempotencyKey: string, request: ChargeRequest, outcome: ChargeOutcome): Promise<SandboxCharge>;
  /**
   * Stores a refund under its key unless one is already stored, and returns the stored refund. The
   * outcome is decided by `decide` from the charge (null if the ledger has no charge with that id)
   * and the amount already refunded on it (succeeded and pending refunds), while refunds of the same
   * charge wait: two concurrent refunds can never together exceed the charge.
   */
  recordRefundOnce(
    request: RefundRequest,
    decide: (charge: SandboxCharge | null, alreadyRefunded: number) => RefundOutcome,
  ): Promise<SandboxRefund>;
  /** The refund with this gateway id, or null. */
  findRefund(gatewayRefundId: string): Promise<SandboxRefund | null>;
}

export interface SandboxRefund {
  request: RefundRequest;
  outcome: RefundOutcome;
}

/** A key reused for a different charge: Stripe answers this with an idempotency_error. */
export class IdempotencyKeyReuseError extends Error {
  override readonly name = 'IdempotencyKeyReuseError';
}

export class SandboxGateway implements PaymentGateway {
  readonly name = 'sandbox';

  constructor(private readonly ledger: SandboxLedger) {}

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    // Stripe rejects these as invalid requests before anything is recorded; so do we.
    if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
      throw new Error(`Invalid amount ${request.amount}: must be a positive integer in minor units`);
    }
    if (!/^[A-Za-z]{3}$/.test(request.currency)) {
      throw new Error(`Invalid currency ${JSON.stringify(request.currency)}: must be an ISO 4217 code`);
    }

    const stored = await this.ledger.recordOnce(request.idempotencyKey, request, outcomeFor(request));
    if (!isSameCharge(stored.request, request)) {
      throw new IdempotencyKeyReuseError(
        `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
          `Try using a key other than '${request.idempotencyKey}' if you meant to execute a different request.`,
      );
    }
    return stored.outcome;
  }

  async refund(request: RefundRequest): Promise<RefundOutcome> {
    if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
      throw new Error(`Invalid amount ${request.amount}: must be a positive integer in minor units`);
    }
    if (!/^[A-Za-z]{3}$/.test(request.currency)) {
      throw new Error(`Invalid currency ${JSON.stringify(request.currency)}: must be an ISO 4217 code`);
    }

    const stored = await this.ledger.recordRefundOnce(request, (charge, alreadyRefunded) => refundOutcomeFor(request, charge, alreadyRefunded));
    if (!isSameRefund(stored.request, request)) {
      throw new IdempotencyKeyReuseError(
        `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
          `Try using a key other than '${request.idempotencyKey}' if you meant to execute a different request.`,
      );
    }
    return stored.outcome;
  }

  async retrieveRefund(gatewayRefundId: string): Promise<RefundOutcome> {
    const stored = await this.ledger.findRefund(gatewayRefundId);
    // Stripe answers an unknown id with resource_missing: an invalid request, not an unknown outcome.
    if (!stored) throw new Error(`No such refund: '${gatewayRefundId}'`);
    return stored.outcome;
  }
}

function isSameRefund(first: RefundRequest, again: RefundRequest): boolean {
  return (
    first.gatewayChargeId === again.gatewayChargeId &&
    first.amount === again.amount &&
    first.currency.toUpperCase() === again.currency.toUpperCase()
  );
}

/**
 * Sandbox refunds settle at once, like refunds of Stripe's test cards. The sandbox refuses what Stripe
 * refuses, with Stripe's error codes: a charge it does not know, a charge that did not succeed, and
 * more than is left unrefunded on the charge.
 */
function refundOutcomeFor(request: RefundRequest, charge: SandboxCharge | null, alreadyRefunded: number): RefundOutcome {
  if (charge === null) {
    return { status: 'failed', gatewayRefundId: null, failureReason: `resource_missing: No such charge: '${request.gatewayChargeId}'` };
  }
  if (charge.outcome.status !== 'succeeded') {
    return { status: 'failed', gatewayRefundId: null, failureReason: `charge_not_refundable: Charge ${request.gatewayChargeId} did not succeed.` };
  }
  if (charge.request.currency.toUpperCase() !== request.currency.toUpperCase()) {
    return {
      status: 'failed',
      gatewayRefundId: null,
      failureReason: `currency_mismatch: Charge ${request.gatewayChargeId} is in ${charge.request.currency}, not ${request.currency}.`,
    };
  }
  const unrefunded = charge.request.amount - alreadyRefunded;
  if (unrefunded <= 0) {
    return { status: 'failed', gatewayRefundId: null, failureReason: `charge_already_refunded: Charge ${request.gatewayChargeId} has already been refunded.` };
  }
  if (request.amount > unrefunded) {
    return {
      status: 'failed',
      gatewayRefundId: null,
      failureReason: `amount_too_large: Refund amount (${request.amount}) is greater than unrefunded amount on charge (${unrefunded}).`,
    };
  }
  // Derived from the key, so every process computes the same id for the same refund.
  return { status: 'succeeded', gatewayRefundId: `re_sandbox_${createHash('sha256').update(request.idempotencyKey).digest('hex').slice(0, 24)}` };
}

/**
 * Only the fields that decide who pays what count, like Stripe's parameter check does for money;
 * a reworded description on a retry is not a different charge.
 */
function isSameCharge(first: ChargeRequest, again: ChargeRequest): boolean {
  return (
    first.amount === again.amount &&
    first.currency.toUpperCase() === again.currency.toUpperCase() &&
    first.paymentMethod === again.paymentMethod &&
    // A ledger reading JSON back may hand us null where we wrote nothing.
    (first.gatewayCustomerId ?? null) === (again.gatewayCustomerId ?? null)
  );
}

function outcomeFor(request: ChargeRequest): ChargeOutcome {
  // Derived from the key, so every process computes the same id for the same charge.
  const gatewayChargeId = `ch_sandbox_${createHash('sha256').update(request.idempotencyKey).digest('hex').slice(0, 24)}`;
  const result = testOutcomeOf(request.paymentMethod);
  if (result === 'succeeded') {
    return { status: 'succeeded', gatewayChargeId };
  }
  if (result === 'unknown') {
    // Stripe answers an unknown payment method with resource_missing (an invalid request, nothing
    // charged, no object created). For billing it is the customer's payment details that are wrong,
    // so we report a failed payment the customer can fix instead of an error that retries forever.
    return {
      status: 'failed',
      failureCode: 'invalid_payment_method',
      failureMessage:
        `No such payment method: '${request.paymentMethod}'. The sandbox accepts Stripe test payment methods ` +
        `such as pm_card_visa or pm_card_chargeDeclined.`,
    };
  }
  // A decline at Stripe still creates a PaymentIntent, hence the id.
  return { status: 'failed', gatewayChargeId, failureCode: result, failureMessage: DECLINE_MESSAGES[result] };
}

function testOutcomeOf(paymentMethod: string): SandboxTestPaymentMethod['outcome'] | 'unknown' {
  // Raw card numbers are no payment method: the API refuses to store them, and a charge naming one
  // declines like any unknown id (card numbers reach a gateway from the customer's browser only).
  const token = paymentMethod;
  const listed = SANDBOX_TEST_PAYMENT_METHODS.find((method) => method.paymentMethod === token);
  if (listed) return listed.outcome;
  if (token.startsWith('pm_card_chargeDeclined')) return 'generic_decline';
  if (token.startsWith('pm_card_')) return 'succeeded';
  return 'unknown';
}
