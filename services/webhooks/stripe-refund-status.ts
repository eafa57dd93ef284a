/**
 * Stripe's refund statuses onto ours: read by the Stripe gateway (activities/payments/stripe-gateway.ts)
 * and by webhook routing for refunds made at Stripe.
 * requires_action: Stripe waits for the customer's bank details (some payment methods); the refund is
 * still on its way and settles to succeeded, failed or canceled later. canceled gave nothing back.
 */
export function stripeRefundStatus(status: string | null | undefined): 'succeeded' | 'pending' | 'failed' | null {
  if (status === 'succeeded') return 'succeeded';
  if (status === 'pending' || status === 'requires_action') return 'pending';
  if (status === 'failed' || status === 'canceled') return 'failed';
  return null;
}
