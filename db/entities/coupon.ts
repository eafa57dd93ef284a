import { EntitySchema } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';

/** once: one billed period; repeating: `durationInPeriods` billed periods; forever: every period. */
export type CouponDuration = 'once' | 'repeating' | 'forever';

/**
 * A catalog discount, applied to subscriptions. The terms (percentage or amount, duration, limits) are
 * fixed once created, as at Stripe: a subscription that has it can always be invoiced from the row.
 * Deleting sets `deletedAt`: the coupon can no longer be redeemed, the row stays for the subscriptions
 * that already have it.
 */
export class Coupon {
  id!: string;
  name!: string;
  /** Millionths for a percentage coupon (20 % = 200000); null for a fixed amount. */
  percentOffPpm!: number | null;
  /** Minor units of `currency` for a fixed-amount coupon; null for a percentage. */
  amountOff!: number | null;
  currency!: string | null;
  duration!: CouponDuration;
  durationInPeriods!: number | null;
  maxRedemptions!: number | null;
  /** Only ever changed by a conditional UPDATE (services/subscriptions/subscription-billing.ts), never read-then-written. */
  timesRedeemed!: number;
  redeemBy!: Date | null;
  metadata!: Record<string, string>;
  deletedAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const CouponSchema = new EntitySchema<Coupon>({
  class: Coupon,
  tableName: 'coupons',
  properties: {
    id: { type: 'string', primary: true },
    name: { type: 'string' },
    percentOffPpm: { type: 'integer', nullable: true },
    amountOff: { ...minorUnits(), nullable: true },
    currency: { type: 'string', length: 3, nullable: true },
    duration: { type: 'string' },
    durationInPeriods: { type: 'integer', nullable: true },
    maxRedemptions: { type: 'integer', nullable: true },
    timesRedeemed: { type: 'integer' },
    redeemBy: timestamptz(true),
    metadata: { type: 'json' },
    deletedAt: timestamptz(true),
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});

/** Whether the coupon can still be applied to a subscription at `now`. */
export function couponIsValid(coupon: Coupon, now: Date): boolean {
  if (coupon.deletedAt !== null) return false;
  if (coupon.redeemBy !== null && coupon.redeemBy.getTime() <= now.getTime()) return false;
  return coupon.maxRedemptions === null || coupon.timesRedeemed < coupon.maxRedemptions;
}
