/**
 * The payment gateway port. Activities charge through this interface only, so the sandbox
 * (embedded default) and Stripe (real money) are interchangeable.
 */

export interface ChargeRequest {
  /** Amount in integer minor units of `currency`. */
  amount: number;
  /** ISO 4217 code, upper case (e.g. "USD"). */
  currency: string;
  /** Saved payment method to charge: a Stripe PaymentMethod id, or a sandbox test token such as `pm_card_visa`. */
  paymentMethod: string;
  /** The customer's id at the gateway, when it has one (Stripe `cus_...`). */
  gatewayCustomerId?: string;
  /**
   * Derived from workflow data (invoice id + attempt number). The gateway returns the first
   * outcome for a repeated key, so an activity retried after a crash never charges twice.
   */
  idempotencyKey: string;
  description: string;
  /** Our own ids, copied onto the gateway object so operators can find it from either side. */
  metadata: Record<string, string>;
}

export type ChargeOutcome =
  | { status: 'succeeded'; gatewayChargeId: string }
  | {
      status: 'failed';
      /** The gateway object id when one was created (declines create a PaymentIntent at Stripe). */
      gatewayChargeId?: string;
      /** Stripe-style decline code: generic_decline, insufficient_funds, expired_card, ... */
      failureCode: string;
      failureMessage: string;
    };

/** Stripe's refund reasons; the customer-facing receipt and the gateway object both carry it. */
export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';

export interface RefundRequest {
  /** The succeeded charge to refund (Stripe PaymentIntent `pi_...`, sandbox `ch_sandbox_...`). */
  gatewayChargeId: string;
  /** Amount in integer minor units of `currency`; at most what is left unrefunded on the charge. */
  amount: number;
  /** ISO 4217 code of the charge. */
  currency: string;
  /**
   * Derived from our refund id. The gateway returns the first outcome for a repeated key, so an
   * activity retried after a crash never refunds twice.
   */
  idempotencyKey: string;
  reason: RefundReason | null;
  /** Our own ids, copied onto the gateway object. */
  metadata: Record<string, string>;
}

export type RefundOutcome =
  /** `pending`: accepted, the money is on its way back but the bank has not confirmed it yet. */
  | { status: 'succeeded' | 'pending'; gatewayRefundId: string }
  | {
      status: 'failed';
      /** Null when the gateway refused the request before creating a refund object. */
      gatewayRefundId: string | null;
      /** Why: the gateway's failure reason or error code, with its message when it gave one. */
      failureReason: string;
    };

export interface PaymentGateway {
  /** Which adapter this is, stored on each payment row ("sandbox" or "stripe"). */
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /**
   * Refunds (part of) a succeeded charge to the original payment method. Throws
   * GatewayUnavailableError when the outcome is unknown; retry with the same idempotency key.
   */
  refund(request: RefundRequest): Promise<RefundOutcome>;
  /** The current state of a refund the gateway accepted as pending (it settles later, either way). */
  retrieveRefund(gatewayRefundId: string): Promise<RefundOutcome>;
}

/**
 * Thrown when the gateway could not be reached or answered with a server error: the outcome of the
 * charge (or refund) is unknown, so the activity retries with the same idempotency key rather than record a decline.
 */
export class GatewayUnavailableError extends Error {
  override readonly name = 'GatewayUnavailableError';
}
