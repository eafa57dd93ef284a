/** The records behind `/v1/subscriptions` as the API answers with them (the shapes are in ./schemas.ts). */
import type { SubscriptionRecord } from '../../services/subscriptions/subscription-read';
import { iso } from '../schemas';
import { subscriptionBillingResource } from '../subscription-billing';
import { subscriptionTermsResource } from '../subscription-terms';

/** A subscription with its items (always loaded with it: see the entity), managed or as read for an answer. */
export function subscriptionResource(s: SubscriptionRecord) {
  const items = [...s.items.getItems()].sort((a, b) => a.position - b.position);
  const first = items[0]!;
  return {
    id: s.id,
    object: 'subscription' as const,
    customer: s.customerId,
    price: first.priceId,
    quantity: first.quantity,
    items: {
      object: 'list' as const,
      data: items.map((item) => ({
        id: item.id,
        object: 'subscription_item' as const,
        price: item.priceId,
        quantity: item.quantity,
        unit_amount: item.unitAmount,
        created_at: iso(item.createdAt)!,
      })),
    },
    status: s.status,
    collection_method: s.collectionMethod,
    currency: s.currency.toLowerCase(),
    unit_amount: first.unitAmount,
    recurring: { interval: s.intervalUnit, interval_count: s.intervalCount },
    billing_cycle_anchor: iso(s.billingAnchor)!,
    time_zone: s.timeZone,
    start_date: iso(s.startDate)!,
    current_period:
      s.currentPeriodIndex !== null && s.currentPeriodStart && s.currentPeriodEnd
        ? { index: s.currentPeriodIndex, start: iso(s.currentPeriodStart)!, end: iso(s.currentPeriodEnd)! }
        : null,
    next_billing_date: iso(s.nextBillingDate),
    cancel_at_period_end: s.cancelAtPeriodEnd,
    canceled_at: iso(s.canceledAt),
    paused_at: iso(s.pausedAt),
    workflow_id: s.workflowId,
    metadata: s.metadata,
    ...subscriptionBillingResource(s),
    ...subscriptionTermsResource(s),
    created_at: iso(s.createdAt)!,
  };
}
