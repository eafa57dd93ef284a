/** Plan changes as the API answers with them (./plan-change-schemas.ts has the shapes). */
import type { EntityManager } from '@mikro-orm/postgresql';
import { SubscriptionPlanChange } from '../../db/entities';
import { iso } from '../schemas';

export function planChangeResource(c: SubscriptionPlanChange) {
  return {
    id: c.id,
    object: 'subscription_plan_change' as const,
    subscription: c.subscriptionId,
    item: c.subscriptionItemId,
    from: { price: c.fromPriceId, quantity: c.fromQuantity, unit_amount: c.fromUnitAmount },
    to: { price: c.toPriceId, quantity: c.toQuantity, unit_amount: c.toUnitAmount },
    effective: c.effective,
    proration_behavior: c.prorationBehavior,
    proration_date: iso(c.prorationDate),
    credit: c.credit,
    charge: c.charge,
    invoice: c.invoiceId,
    status: c.status,
    applied_at: iso(c.appliedAt),
    created_at: iso(c.createdAt)!,
  };
}

/** The proration date of the subscription's latest prorated change (a change without proration has none). */
export async function lastProrationDate(em: EntityManager, subscriptionId: string): Promise<string | null> {
  const [last] = await em.find(
    SubscriptionPlanChange,
    { subscriptionId, effective: 'immediately', prorationDate: { $ne: null } },
    { orderBy: { prorationDate: 'desc' }, limit: 1 },
  );
  return last?.prorationDate?.toISOString() ?? null;
}
