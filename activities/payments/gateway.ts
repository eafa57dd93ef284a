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

export interface PaymentGateway {
  /** Which adapter this is, stored on each payment row ("sandbox" or "stripe"). */
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
}

/**
 * Thrown when the gateway could not be reached or answered with a server error: the outcome of the
 * charge is unknown, so the activity retries with the same idempotency key rather than record a decline.
 */
export class GatewayUnavailableError extends Error {
  override readonly name = 'GatewayUnavailableError';
}
