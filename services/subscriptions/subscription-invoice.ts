/**
 * What a subscription's invoice for one billing period contains: the period's line, the coupon if it
 * covers the period, the fees and the subscription's tax rates, priced by domain/pricing.ts. Reads only.
 * The invoicing activity stores this (createSubscriptionInvoice) and the API answers it for the next
 * period without storing anything (GET /v1/subscriptions/:id/upcoming-invoice): one code path, so the
 * preview is what the invoice will be.
 */
import type { EntityManager } from '@mikro-orm/core';
import { Coupon, Invoice, Price, Product, SubscriptionPendingItem, TaxRate, type Subscription, type SubscriptionFeeRecord } from '../../db/entities';
import { couponCoversPeriod } from '../../domain/coupon-duration';
import { computeDueDate, defaultPaymentTerms, type PaymentTerms } from '../../domain/payment-terms';
import type { DiscountInput, FeeInput, TaxRateInput } from '../../domain/pricing';
import { priceInvoice, type PricedInvoice, type PricedLineInput } from '../invoices/invoice-records';

export interface SubscriptionPeriod {
  index: number;
  start: string;
  end: string;
}

export interface SubscriptionPeriodInvoice {
  period: { index: number; start: Date; end: Date };
  issuedAt: Date;
  paymentTerms: PaymentTerms;
  dueDate: Date;
  /** The coupon discounting this period, or null (none, not yet started, or used up). */
  couponId: string | null;
  priced: PricedInvoice;
  /** Proration items this invoice takes in (charges as lines, credits as discounts). */
  pendingItems: SubscriptionPendingItem[];
  /** For each credit, where its discount sits in `priced.discounts` and how much it asked for. */
  credits: { item: SubscriptionPendingItem; discountIndex: number }[];
}

/** A subscription fee as the pricing input takes it. */
export function subscriptionFeeInput(fee: SubscriptionFeeRecord): FeeInput {
  return fee.type === 'percentage'
    ? { type: 'percentage', ratePpm: fee.ratePpm ?? 0, taxable: fee.taxable, description: fee.description }
    : { type: 'fixed_amount', amount: fee.amount ?? 0, taxable: fee.taxable, description: fee.description };
}

/** A coupon as an invoice discount, described by its name. */
export function couponDiscountInput(coupon: Coupon): DiscountInput {
  return coupon.percentOffPpm !== null
    ? { type: 'percentage', ratePpm: coupon.percentOffPpm, description: coupon.name }
    : { type: 'fixed_amount', amount: coupon.amountOff ?? 0, description: coupon.name };
}

/** The subscription's tax rates in its order. Rates are never deleted; an inactive one still applies. */
export async function subscriptionTaxRates(em: EntityManager, ids: readonly string[]): Promise<TaxRateInput[]> {
  if (ids.length === 0) return [];
  const rates = new Map((await em.find(TaxRate, { id: { $in: [...ids] } })).map((r) => [r.id, r]));
  return ids.map((id) => {
    const rate = rates.get(id);
    if (!rate) throw new Error(`tax rate ${id} of the subscription does not exist`);
    return { displayName: rate.displayName, ratePpm: rate.percentagePpm, inclusive: rate.inclusive };
  });
}

/** How an item's price reads on an invoice: the product, and the price's nickname if it has one. */
export const priceDescription = (product: Product, price: Price): string => `${product.name}${price.nickname ? ` (${price.nickname})` : ''}`;

/**
 * The period's line of each of the subscription's items, in position order (two queries, whatever the
 * number of items). Coupons, fees and taxes apply to the invoice as a whole, as for a single item.
 */
export async function subscriptionItemLines(em: EntityManager, subscription: Subscription, start: Date, end: Date): Promise<PricedLineInput[]> {
  const items = [...(await subscription.items.load()).getItems()].sort((a, b) => a.position - b.position);
  if (items.length === 0) throw new Error(`subscription ${subscription.id} has no items`);
  const prices = new Map((await em.find(Price, { id: { $in: items.map((item) => item.priceId) } })).map((p) => [p.id, p]));
  const products = new Map((await em.find(Product, { id: { $in: [...new Set([...prices.values()].map((p) => p.productId))] } })).map((p) => [p.id, p]));
  return items.map((item) => {
    const price = prices.get(item.priceId);
    const product = price && products.get(price.productId);
    if (!price || !product) throw new Error(`price ${item.priceId} of subscription item ${item.id} does not exist`);
    return { description: priceDescription(product, price), priceId: price.id, unitAmount: item.unitAmount, quantity: item.quantity, periodStart: start, periodEnd: end };
  });
}

/**
 * Prices `period` of `subscription`, issued at `issuedAt`:
 *  - one line per subscription item, in position order: its price at the item's unit amount × quantity,
 *    for the period;
 *  - the coupon, when it covers the period (domain/coupon-duration.ts counts the periods billed since it
 *    was applied, from the invoices already stored);
 *  - recurring fees always; one-off fees only on the subscription's first invoice, whatever its period
 *    index (a subscription paused before it was first billed still gets its setup fee once);
 *  - proration charges waiting from plan changes (domain/proration.ts), one line each after the
 *    items' lines, and proration credits as fixed-amount discounts after the coupon: a credit larger
 *    than what is left to discount is capped by the pricing rules, and the invoicing activity carries
 *    the rest forward to the next invoice;
 *  - the subscription's tax rates;
 *  - due date from the collection method's default terms in the subscription's time zone.
 * Throws PricingError or MoneyError as computeInvoiceTotals does (the API validates the configuration
 * when it is written, so a stored subscription prices).
 */
export async function priceSubscriptionPeriod(
  em: EntityManager,
  subscription: Subscription,
  period: SubscriptionPeriod,
  issuedAt: Date,
): Promise<SubscriptionPeriodInvoice> {
  const start = new Date(period.start);
  const end = new Date(period.end);
  const itemLines = await subscriptionItemLines(em, subscription, start, end);

  let coupon: Coupon | null = null;
  const startPeriod = subscription.discountStartPeriod;
  if (subscription.couponId !== null && startPeriod !== null && period.index >= startPeriod) {
    const candidate = await em.findOneOrFail(Coupon, { id: subscription.couponId });
    const billedSinceStart = await em.count(Invoice, { subscriptionId: subscription.id, periodIndex: { $gte: startPeriod, $lt: period.index } });
    if (couponCoversPeriod(candidate, startPeriod, period.index, billedSinceStart)) coupon = candidate;
  }

  const allFees = subscription.fees ?? [];
  // Only a subscription with one-off fees needs to know whether this is its first invoice.
  const firstInvoice =
    allFees.some((fee) => !fee.recurring) && (await em.count(Invoice, { subscriptionId: subscription.id, periodIndex: { $lt: period.index } })) === 0;
  const fees = allFees.filter((fee) => fee.recurring || firstInvoice).map(subscriptionFeeInput);
  const taxRates = await subscriptionTaxRates(em, subscription.defaultTaxRateIds ?? []);
  const pendingItems = await em.find(SubscriptionPendingItem, { subscriptionId: subscription.id, invoiceId: null }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  const charges = pendingItems.filter((item) => item.kind === 'proration_charge');
  const creditItems = pendingItems.filter((item) => item.kind !== 'proration_charge');
  const discounts: DiscountInput[] = coupon ? [couponDiscountInput(coupon)] : [];
  const credits = creditItems.map((item) => {
    discounts.push({ type: 'fixed_amount', amount: item.amount, description: item.description });
    return { item, discountIndex: discounts.length - 1 };
  });
  const priced = priceInvoice({
    currency: subscription.currency,
    lines: [
      ...itemLines,
      ...charges.map((item) => ({
        description: item.description,
        priceId: null,
        unitAmount: item.amount,
        quantity: 1,
        periodStart: item.periodStart,
        periodEnd: item.periodEnd,
      })),
    ],
    discounts,
    fees,
    taxRates,
  });
  const paymentTerms = defaultPaymentTerms(subscription.collectionMethod);
  return {
    period: { index: period.index, start, end },
    issuedAt,
    paymentTerms,
    dueDate: computeDueDate(paymentTerms, issuedAt, subscription.timeZone),
    couponId: coupon?.id ?? null,
    priced,
    pendingItems,
    credits,
  };
}
