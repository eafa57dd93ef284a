/**
 * A subscription's discount, tax rates and fees: their validation, the configuration stored on a new
 * subscription, and coupon redemption. `POST /v1/subscriptions`, the discount routes and quotes share them.
 *
 * This is pricing configuration, not lifecycle state: it is written to the subscription row (the
 * workflow owns and writes status, periods and dates), and the invoicing activity reads it when it
 * prices each period. Refusals are RuleViolations naming the request field.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Coupon, TaxRate, couponIsValid, type Subscription, type SubscriptionFeeRecord } from '../../db/entities';
import { MoneyError } from '../../domain/money';
import { parsePercentage } from '../../domain/pricing';
import { firstPeriodStartingAtOrAfter } from '../../domain/calendar';
import { Refusal, invalidInput, missingReference } from '../../domain/rule-violation';
import { priceInvoice } from '../invoices/invoice-records';
import { subscriptionFeeInput } from './subscription-invoice';

/** One fee asked for: exactly one of a fixed `amount` (minor units) or a `percent` ("2.5") of the discounted subtotal. */
export interface SubscriptionFeeRequest {
  description: string;
  amount?: number;
  percent?: string;
  /** Taxed with the subscription's tax rates (default true). */
  taxable?: boolean;
  /** On every invoice (true) or the first only (false, the default). */
  recurring?: boolean;
}

/** The discount, tax rates and fees a new subscription asks for (the API's field names). */
export interface SubscriptionBillingRequest {
  coupon?: string;
  default_tax_rates?: string[];
  fees?: SubscriptionFeeRequest[];
}

/** The configuration to store on a new subscription. */
export interface SubscriptionBilling {
  couponId: string | null;
  defaultTaxRateIds: string[];
  fees: SubscriptionFeeRecord[];
}

/**
 * The coupon `param` names, if it can be applied to a subscription in `currency` now: 400 naming the
 * field when it does not exist (or was deleted), is no longer redeemable, or is an amount in another
 * currency. The redemption itself is `redeemCoupon`, which checks the limits again atomically.
 */
export async function redeemableCoupon(em: EntityManager, id: string, currency: string, now: Date, param = 'coupon'): Promise<Coupon> {
  const coupon = await em.findOne(Coupon, { id, deletedAt: null });
  if (!coupon) throw missingReference(param, 'coupon', id);
  if (!couponIsValid(coupon, now)) throw notRedeemable(coupon, param);
  if (coupon.currency !== null && coupon.currency !== currency) {
    throw invalidInput(
      param,
      `Coupon ${coupon.id} takes ${coupon.amountOff} ${coupon.currency.toLowerCase()} off; the subscription is billed in ${currency.toLowerCase()}.`,
      'currency_mismatch',
    );
  }
  return coupon;
}

const notRedeemable = (coupon: Coupon, param: string): Refusal =>
  invalidInput(
    param,
    coupon.maxRedemptions !== null && coupon.timesRedeemed >= coupon.maxRedemptions
      ? `Coupon ${coupon.id} has been redeemed its maximum of ${coupon.maxRedemptions} times.`
      : `Coupon ${coupon.id} can no longer be redeemed.`,
    'coupon_not_redeemable',
  );

/**
 * Counts one redemption, in `em`'s transaction. One conditional UPDATE (never read-then-write), so
 * concurrent redemptions queue on the row and `max_redemptions` holds across API processes: the one
 * that would pass the limit updates nothing and is a 400 `coupon_not_redeemable`.
 */
export async function redeemCoupon(em: EntityManager, couponId: string, now: Date, param = 'coupon'): Promise<void> {
  const rows = await em.execute<{ id: string }[]>(
    `update coupons set times_redeemed = times_redeemed + 1, updated_at = ?
      where id = ? and deleted_at is null
        and (max_redemptions is null or times_redeemed < max_redemptions)
        and (redeem_by is null or redeem_by > ?)
      returning id`,
    [now, couponId, now],
  );
  if (rows.length === 0) {
    const coupon = await em.findOne(Coupon, { id: couponId, deletedAt: null }, { refresh: true });
    if (!coupon) throw missingReference(param, 'coupon', couponId);
    throw notRedeemable(coupon, param);
  }
}

/** Gives back a redemption whose subscription never started (its workflow could not be started). */
export async function releaseCouponRedemption(em: EntityManager, couponId: string | null): Promise<void> {
  if (couponId === null) return;
  await em.execute('update coupons set times_redeemed = times_redeemed - 1 where id = ? and times_redeemed > 0', [couponId]);
}

/**
 * Flushes `em` (the new subscription's insert) in one transaction with the coupon's redemption: a
 * refused redemption leaves no subscription, a failed insert uses no redemption.
 */
export async function flushRedeemingCoupon(em: EntityManager, couponId: string | null, now: Date): Promise<void> {
  if (couponId === null) {
    await em.flush();
    return;
  }
  await em.begin();
  try {
    await redeemCoupon(em, couponId, now);
    await em.commit();
  } catch (err) {
    await em.rollback();
    throw err;
  }
}

/** The fee records from the request: exactly one of amount or percent each (400 naming `fees[i]`). */
function feeRecords(fees: NonNullable<SubscriptionBillingRequest['fees']>): SubscriptionFeeRecord[] {
  return fees.map((f, i) => {
    const given = [f.amount !== undefined, f.percent !== undefined].filter(Boolean).length;
    if (given !== 1) throw invalidInput(`fees[${i}]`, `fees[${i}] needs exactly one of amount or percent.`);
    const common = { description: f.description, taxable: f.taxable ?? true, recurring: f.recurring ?? false };
    if (f.percent !== undefined) {
      return { ...common, type: 'percentage' as const, ratePpm: parsePercentage(f.percent, `fees[${i}][percent]`), amount: null };
    }
    return { ...common, type: 'fixed_amount' as const, ratePpm: null, amount: f.amount! };
  });
}

/** Active tax rates by id, in the given order, each once (400 naming `default_tax_rates[i]`). */
async function taxRateIds(em: EntityManager, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = new Map((await em.find(TaxRate, { id: { $in: [...new Set(ids)] } })).map((r) => [r.id, r]));
  ids.forEach((id, i) => {
    const param = `default_tax_rates[${i}]`;
    if (ids.indexOf(id) !== i) throw invalidInput(param, `Tax rate ${id} is listed twice.`);
    const rate = found.get(id);
    if (!rate) throw missingReference(param, 'tax_rate', id);
    if (!rate.active) throw invalidInput(param, `Tax rate ${id} is not active.`, 'tax_rate_inactive');
  });
  return [...ids];
}

/** What a new subscription bills each period: its items' unit amounts × quantities (or one such amount). */
export type SubscriptionBillingLines =
  | { currency: string; items: readonly { unitAmount: number; quantity: number }[] }
  | { currency: string; unitAmount: number; quantity: number };

/**
 * Validates the coupon, tax rates and fees of a new subscription billing its items' `unitAmount` ×
 * `quantity` each period: 400 naming the field for bad input, 422 `amount_too_large` when the first
 * invoice (every item, every fee, every tax) would be beyond what an invoice can hold, so no period can
 * ever fail to price.
 */
export async function resolveSubscriptionBilling(
  em: EntityManager,
  body: SubscriptionBillingRequest,
  subscription: SubscriptionBillingLines,
  now: Date,
): Promise<SubscriptionBilling> {
  const items = 'items' in subscription ? subscription.items : [{ unitAmount: subscription.unitAmount, quantity: subscription.quantity }];
  const fees = feeRecords(body.fees ?? []);
  const defaultTaxRateIds = await taxRateIds(em, body.default_tax_rates ?? []);
  const couponId = body.coupon === undefined ? null : (await redeemableCoupon(em, body.coupon, subscription.currency, now)).id;
  const lines = items.map((item) => ({ description: 'check', priceId: null, unitAmount: item.unitAmount, quantity: item.quantity }));
  if (items.length > 1) {
    // Each item alone was checked; their sum must fit too.
    try {
      priceInvoice({ currency: subscription.currency, lines });
    } catch (err) {
      if (err instanceof MoneyError) throw new Refusal('amount_too_large', `The items together come to more than an invoice can hold: ${err.message}.`, 'items');
      throw err;
    }
  }
  if (fees.length > 0 || defaultTaxRateIds.length > 0) {
    const rates = await em.find(TaxRate, { id: { $in: defaultTaxRateIds } });
    try {
      priceInvoice({
        currency: subscription.currency,
        lines,
        fees: fees.map(subscriptionFeeInput),
        taxRates: rates.map((r) => ({ displayName: r.displayName, ratePpm: r.percentagePpm, inclusive: r.inclusive })),
      });
    } catch (err) {
      if (err instanceof MoneyError) throw new Refusal('amount_too_large', `The invoice amounts would be too large: ${err.message}.`, 'fees');
      throw err;
    }
  }
  return { couponId, defaultTaxRateIds, fees };
}

/**
 * The period a discount applied now starts at: the subscription's next period to bill. While billing is
 * scheduled that is the period starting at `next_billing_date`; while paused (no date) the one after the
 * last billed period, and periods skipped while paused are never billed, so they use none of it.
 */
export function nextPeriodToBill(s: Subscription): number {
  if (s.nextBillingDate !== null) {
    return firstPeriodStartingAtOrAfter(
      s.billingAnchor.toISOString(),
      s.timeZone,
      { unit: s.intervalUnit, count: s.intervalCount },
      s.nextBillingDate.toISOString(),
    );
  }
  return s.currentPeriodIndex === null ? 0 : s.currentPeriodIndex + 1;
}
