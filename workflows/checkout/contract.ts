/**
 * The checkout session workflow's public surface. One per buyer's submit of a payment link
 * (`checkout-<sessionId>`), started by services/checkout/complete-checkout.ts once the session, the
 * invoice and the subscriptions are written and their own workflows started.
 */
export const checkoutWorkflowId = (sessionId: string): string => `checkout-${sessionId}`;

export interface CheckoutWorkflowInput {
  sessionId: string;
}

/** What the records say about a session's charges now. */
export type CheckoutProgress = 'pending' | 'paid' | 'declined';

export interface CheckoutWorkflowResult {
  sessionId: string;
  status: 'complete' | 'failed' | 'expired';
}
