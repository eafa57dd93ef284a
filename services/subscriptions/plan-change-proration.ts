/**
 * The proration of a plan change on one subscription item, priced: the plan-change activity
 * (activities/plan-changes.ts) writes it and the API's preview shows it, from these same helpers, so
 * the preview equals the change made with the same proration date, to the cent.
 */
import type { EntityManager } from '@mikro-orm/core';
import { DateTime } from 'luxon';
import { Price, Product, type Subscription, type SubscriptionItem } from '../../db/entities';
import { prorate, type Proration } from '../../domain/proration';
import { multiplyMoney, money } from '../../domain/money';
import { priceInvoice, type PricedInvoice } from '../invoices/invoice-records';
import { subscriptionTaxRates } from './subscription-invoice';

/** The two proration lines of a change, as the customer sees them. */
export interface ProrationLines {
  proration: Proration;
  creditDescription: string;
  chargeDescription: string;
}

const describePrice = (product: Product, price: Price, quantity: number): string =>
  `${product.name}${price.nickname ? ` (${price.nickname})` : ''}${quantity > 1 ? ` × ${quantity}` : ''}`;

/**
 * The item a change is for: `itemId`, or the first item when none is named (a change requested before
 * subscriptions had items, replayed from its history). Null when the subscription has no such item.
 */
export async function subscriptionItemFor(subscription: Subscription, itemId: string | undefined): Promise<SubscriptionItem | null> {
  const items = [...(await subscription.items.load()).getItems()].sort((a, b) => a.position - b.position);
  return itemId === undefined ? (items[0] ?? null) : (items.find((item) => item.id === itemId) ?? null);
}

/**
 * Proration of moving `item` of `subscription` to `target` at `prorationDate` within `period`, with its
 * line wording. Only that item's amount changes, so only it is prorated.
 */
export async function describeProration(
  em: EntityManager,
  subscription: Subscription,
  item: SubscriptionItem,
  target: { priceId: string; unitAmount: number; quantity: number },
  period: { start: string; end: string },
  prorationDate: string,
): Promise<ProrationLines> {
  const [oldPrice, newPrice] = await Promise.all([em.findOneOrFail(Price, { id: item.priceId }), em.findOneOrFail(Price, { id: target.priceId })]);
  const [oldProduct, newProduct] = await Promise.all([
    em.findOneOrFail(Product, { id: oldPrice.productId }),
    em.findOneOrFail(Product, { id: newPrice.productId }),
  ]);
  const proration = prorate({
    currency: subscription.currency,
    period,
    prorationDate,
    oldAmount: multiplyMoney(money(item.unitAmount, subscription.currency), item.quantity).amount,
    newAmount: multiplyMoney(money(target.unitAmount, subscription.currency), target.quantity).amount,
  });
  const after = DateTime.fromISO(prorationDate, { zone: subscription.timeZone }).toFormat('d LLL yyyy');
  return {
    proration,
    creditDescription: `Unused time on ${describePrice(oldProduct, oldPrice, item.quantity)} after ${after}`,
    chargeDescription: `Remaining time on ${describePrice(newProduct, newPrice, target.quantity)} after ${after}`,
  };
}

/**
 * The invoice an `always_invoice` change issues at once: the charge for the rest of the period on the
 * new plan as its line, the unused time on the old plan as a credit (a fixed-amount discount), the
 * subscription's tax rates. Only made when the charge is larger than the credit; otherwise both wait
 * for the next invoice, where they net out.
 */
export async function priceProrationInvoice(
  em: EntityManager,
  subscription: Subscription,
  lines: ProrationLines,
  prorationDate: string,
  periodEnd: string,
): Promise<PricedInvoice> {
  return priceInvoice({
    currency: subscription.currency,
    lines: [
      {
        description: lines.chargeDescription,
        priceId: null,
        unitAmount: lines.proration.charge,
        quantity: 1,
        periodStart: new Date(prorationDate),
        periodEnd: new Date(periodEnd),
      },
    ],
    discounts: lines.proration.credit > 0 ? [{ type: 'fixed_amount', amount: lines.proration.credit, description: lines.creditDescription }] : [],
    taxRates: await subscriptionTaxRates(em, subscription.defaultTaxRateIds ?? []),
  });
}


/** True when `priceId` is on an item of `subscription` other than `item` (its items loaded). */
export const priceOnOtherItem = (subscription: Subscription, item: SubscriptionItem, priceId: string): boolean =>
  subscription.items.getItems().some((other) => other.id !== item.id && other.priceId === priceId);
