/**
 * A subscription's discount, tax rates and fees on the wire: the request fields `POST /v1/subscriptions`
 * accepts and the fields of the subscription resource. Their validation and coupon redemption are
 * services/subscriptions/subscription-billing.ts.
 */
import { Type } from 'typebox';
import type { Subscription } from '../db/entities';
import { PERCENTAGE_PATTERN, formatPercentage } from '../domain/pricing';
import { Nullable, Timestamp, iso } from './schemas';

const MAX_TAX_RATES = 5;
const MAX_FEES = 10;

const SubscriptionFeeInput = Type.Object(
  {
    description: Type.String({ minLength: 1, maxLength: 200 }),
    amount: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Minor units of the subscription currency' })),
    percent: Type.Optional(Type.String({ pattern: PERCENTAGE_PATTERN, description: 'Percent of the discounted subtotal, up to 4 decimals: "2.5"' })),
    taxable: Type.Optional(Type.Boolean({ default: true, description: 'Taxed with the subscription’s tax rates' })),
    recurring: Type.Optional(Type.Boolean({ default: false, description: 'true: on every invoice; false: on the first invoice only' })),
  },
  { additionalProperties: false, description: 'Exactly one of amount or percent' },
);

/** The optional fields `POST /v1/subscriptions` accepts. */
export const SubscriptionBillingInputFields = {
  coupon: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A valid coupon; its duration counts from period 0' })),
  default_tax_rates: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: MAX_TAX_RATES, description: 'Active tax rate ids, applied to every invoice in this order' }),
  ),
  fees: Type.Optional(Type.Array(SubscriptionFeeInput, { maxItems: MAX_FEES })),
};

const SubscriptionFeeResource = Type.Object({
  description: Type.String(),
  amount: Nullable(Type.Integer()),
  percent: Nullable(Type.String()),
  taxable: Type.Boolean(),
  recurring: Type.Boolean(),
});

/** The fields the subscription resource gains. */
export const SubscriptionBillingResourceFields = {
  discount: Nullable(
    Type.Object({
      coupon: Type.String(),
      start_period: Type.Integer({ description: 'The coupon’s duration counts billed periods from this period index' }),
      applied_at: Timestamp,
    }),
  ),
  default_tax_rates: Type.Array(Type.String()),
  fees: Type.Array(SubscriptionFeeResource),
};

export function subscriptionBillingResource(s: Omit<Subscription, 'items'>) {
  return {
    discount:
      s.couponId !== null && s.discountStartPeriod !== null && s.discountAppliedAt !== null
        ? { coupon: s.couponId, start_period: s.discountStartPeriod, applied_at: iso(s.discountAppliedAt)! }
        : null,
    default_tax_rates: s.defaultTaxRateIds ?? [],
    fees: (s.fees ?? []).map((f) => ({
      description: f.description,
      amount: f.amount,
      percent: f.ratePpm === null ? null : formatPercentage(f.ratePpm),
      taxable: f.taxable,
      recurring: f.recurring,
    })),
  };
}
