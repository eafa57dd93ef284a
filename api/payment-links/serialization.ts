import type { PaymentLink } from '../../db/entities';
import { paymentLinkPath } from '../../services/payment-links/payment-links';

export function paymentLinkResource(link: PaymentLink, publicUrl: string) {
  const after = link.afterCompletion;
  return {
    id: link.id,
    object: 'payment_link' as const,
    active: link.active,
    url: `${publicUrl}${paymentLinkPath(link.id)}`,
    currency: link.currency.toLowerCase(),
    mode: link.mode,
    line_items: link.lineItems.map((l) => ({ price: l.priceId, quantity: l.quantity, adjustable_quantity: l.adjustableQuantity })),
    subscription_data: link.mode === 'subscription' ? { trial_period_days: link.trialPeriodDays } : null,
    after_completion: {
      type: after.type,
      hosted_confirmation: after.type === 'hosted_confirmation' ? { custom_message: after.customMessage } : null,
      redirect: after.type === 'redirect' ? { url: after.url } : null,
    },
    allow_future_start: { enabled: link.futureStartMaxDays !== null, maximum_days: link.futureStartMaxDays },
    metadata: link.metadata,
    created_at: link.createdAt.toISOString(),
  };
}
