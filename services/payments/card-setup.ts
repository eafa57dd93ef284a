/**
 * The card setup port: saving a card for later off-session charges through the gateway's own card
 * form (Stripe.js and its Payment Element), so card numbers never reach this system. A SetupIntent at
 * Stripe; the Stripe adapter is activities/payments/stripe-card-setup.ts. The sandbox has no such
 * step: its card form maps test card numbers to test payment methods (web/payments/card-details.ts).
 */

/** Who the card is saved for at the gateway. */
export interface GatewayCustomerRequest {
  /** Our customer id: the gateway customer carries it in `metadata.customer_id`, and the idempotency key is derived from it. */
  customerId: string;
  email: string;
  name: string;
}

export interface CardSetupRequest {
  /**
   * The gateway customer the card is attached to when the setup succeeds, so it can be charged
   * off-session later. Null when the card is entered before a customer exists (a first checkout):
   * the card is then attached when the customer is created (`attachCard`).
   */
  gatewayCustomerId: string | null;
  /** Our own ids, copied onto the SetupIntent so operators can find it from either side. */
  metadata: Record<string, string>;
}

/** A SetupIntent's state, as the server reads it back (never as the browser reports it). */
export interface CardSetup {
  /** `seti_...` */
  id: string;
  /** Stripe's SetupIntent status: `succeeded`, `requires_action`, `requires_payment_method`, `processing`, `canceled`, ... */
  status: string;
  /** The saved card (`pm_...`) once the setup has one. */
  paymentMethod: string | null;
  gatewayCustomerId: string | null;
  metadata: Record<string, string>;
}

export interface CardSetupGateway {
  /** Creates the gateway customer for one of ours; the same customer again for the same `customerId` (idempotent). */
  createCustomer(request: GatewayCustomerRequest): Promise<string>;
  /** Starts a card setup; the browser completes it with the returned client secret (and 3-D Secure, when the bank asks). */
  createSetup(request: CardSetupRequest): Promise<{ id: string; clientSecret: string }>;
  /** The setup as the gateway has it now. Throws CardSetupNotFoundError for an id the gateway does not know. */
  retrieveSetup(setupId: string): Promise<CardSetup>;
  /** Attaches a card saved without a customer to one (a first checkout's card, once its customer exists). */
  attachCard(paymentMethod: string, gatewayCustomerId: string): Promise<void>;
}

/** The gateway does not know this setup id (mistyped, forged, or from another account). */
export class CardSetupNotFoundError extends Error {
  override readonly name = 'CardSetupNotFoundError';
}
