/**
 * Partial-period charges: a subscription that starts before its billing anchor owes the part of a
 * period up to it, charged on its first invoice. Written with the subscription when it is created.
 */
import { DateTime } from 'luxon';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Price, Product, SubscriptionPendingItem } from '../../db/entities';
import { newId } from '../../db/ids';
import { previousPeriodStart } from '../../domain/calendar';
import { prorate } from '../../domain/proration';
import { money, multiplyMoney } from '../../domain/money';
import type { BillingInterval } from '../../domain/frequency';
import { priceDescription } from './subscription-invoice';

/**
 * The partial period between the start and a later billing anchor, charged on the first invoice: per
 * item, its whole-period amount × (anchor − start) ÷ (anchor − one interval before it), exact and
 * rounded half-up once (domain/proration.ts), as a charge waiting for that invoice. Added to `em` with
 * the subscription, so both commit together.
 */
export async function addPartialPeriodCharges(
  em: EntityManager,
  subscription: { id: string; currency: string; timeZone: string },
  items: { id: string; priceId: string; quantity: number; unitAmount: number }[],
  startDate: Date,
  anchor: Date,
  billing: BillingInterval,
  now: Date,
): Promise<void> {
  const period = { start: previousPeriodStart(anchor.toISOString(), subscription.timeZone, billing), end: anchor.toISOString() };
  const prices = new Map((await em.find(Price, { id: { $in: items.map((i) => i.priceId) } })).map((p) => [p.id, p]));
  const products = new Map((await em.find(Product, { id: { $in: [...prices.values()].map((p) => p.productId) } })).map((p) => [p.id, p]));
  const from = DateTime.fromJSDate(startDate, { zone: subscription.timeZone }).toFormat('d LLL yyyy');
  const to = DateTime.fromJSDate(anchor, { zone: subscription.timeZone }).toFormat('d LLL yyyy');
  for (const item of items) {
    const { charge } = prorate({
      currency: subscription.currency,
      period,
      prorationDate: startDate.toISOString(),
      oldAmount: 0,
      newAmount: multiplyMoney(money(item.unitAmount, subscription.currency), item.quantity).amount,
    });
    if (charge === 0) continue;
    const price = prices.get(item.priceId)!;
    em.create(SubscriptionPendingItem, {
      id: newId('pendingItem'),
      subscriptionId: subscription.id,
      kind: 'proration_charge',
      description: `${priceDescription(products.get(price.productId)!, price)}${item.quantity > 1 ? ` × ${item.quantity}` : ''}, partial period ${from} to ${to}`,
      amount: charge,
      periodStart: startDate,
      periodEnd: anchor,
      // One partial period per item, ever.
      sourceId: item.id,
      invoiceId: null,
      createdAt: now,
    });
  }
}
