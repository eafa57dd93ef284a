/**
 * The one-time adjustments of a quote: discounts (a catalog coupon's terms, or a percent or amount
 * off), fees (an amount or a percentage) and tax rates (active catalog rates). A coupon is not
 * redeemed here: a quote is an offer.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { TaxRate } from '../../db/entities';
import { parsePercentage, type FeeInput } from '../../domain/pricing';
import type { QuoteDiscount, QuoteTaxRate } from '../../domain/quote';
import { invalidInput, missingReference } from '../../domain/rule-violation';
import { redeemableCoupon } from '../subscriptions/subscription-billing';
import type { DiscountRequest, FeeRequest } from './quote-input';


export async function resolveQuoteDiscounts(em: EntityManager, inputs: DiscountRequest[], currency: string, now: Date): Promise<QuoteDiscount[]> {
  const out: QuoteDiscount[] = [];
  for (const [i, d] of inputs.entries()) {
    const param = `discounts[${i}]`;
    if ([d.coupon, d.percent_off, d.amount_off].filter((v) => v !== undefined).length !== 1) {
      throw invalidInput(param, `${param} needs exactly one of coupon, percent_off or amount_off.`);
    }
    if (d.coupon !== undefined) {
      const coupon = await redeemableCoupon(em, d.coupon, currency, now, `${param}[coupon]`);
      const description = d.description ?? coupon.name;
      out.push(
        coupon.percentOffPpm !== null
          ? { type: 'percentage', ratePpm: coupon.percentOffPpm, description, couponId: coupon.id }
          : { type: 'fixed_amount', amount: coupon.amountOff!, description, couponId: coupon.id },
      );
    } else if (d.percent_off !== undefined) {
      out.push({ type: 'percentage', ratePpm: parsePercentage(d.percent_off, `${param}[percent_off]`), description: d.description ?? null, couponId: null });
    } else {
      out.push({ type: 'fixed_amount', amount: d.amount_off!, description: d.description ?? null, couponId: null });
    }
  }
  return out;
}

export function resolveQuoteFees(inputs: FeeRequest[]): FeeInput[] {
  return inputs.map((f, i) => {
    const param = `fees[${i}]`;
    if ((f.amount === undefined) === (f.percentage === undefined)) throw invalidInput(param, `${param} needs exactly one of amount or percentage.`);
    const taxable = f.taxable ?? true;
    return f.percentage !== undefined
      ? { type: 'percentage', ratePpm: parsePercentage(f.percentage, `${param}[percentage]`), taxable, description: f.description }
      : { type: 'fixed_amount', amount: f.amount!, taxable, description: f.description };
  });
}

export async function resolveQuoteTaxRates(em: EntityManager, ids: string[]): Promise<QuoteTaxRate[]> {
  if (ids.length === 0) return [];
  const found = new Map((await em.find(TaxRate, { id: { $in: [...new Set(ids)] } })).map((r) => [r.id, r]));
  return ids.map((id, i) => {
    const param = `tax_rates[${i}]`;
    if (ids.indexOf(id) !== i) throw invalidInput(param, `Tax rate ${id} is listed twice.`);
    const rate = found.get(id);
    if (!rate) throw missingReference(param, 'tax_rate', id);
    if (!rate.active) throw invalidInput(param, `Tax rate ${id} is not active.`, 'tax_rate_inactive');
    return { id: rate.id, displayName: rate.displayName, ratePpm: rate.percentagePpm, inclusive: rate.inclusive };
  });
}
