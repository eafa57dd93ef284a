/** The records behind `/v1/coupons` as the API answers with them (the shapes are in ./schemas.ts). */
import { Coupon, couponIsValid } from '../../db/entities';
import { formatPercentage } from '../../domain/pricing';
import { iso } from '../schemas';

export function couponResource(c: Coupon, now = new Date()) {
  return {
    id: c.id,
    object: 'coupon' as const,
    name: c.name,
    percent_off: c.percentOffPpm === null ? null : formatPercentage(c.percentOffPpm),
    amount_off: c.amountOff,
    currency: c.currency === null ? null : c.currency.toLowerCase(),
    duration: c.duration,
    duration_in_periods: c.durationInPeriods,
    max_redemptions: c.maxRedemptions,
    redeem_by: iso(c.redeemBy),
    times_redeemed: c.timesRedeemed,
    valid: couponIsValid(c, now),
    metadata: c.metadata,
    created_at: iso(c.createdAt)!,
  };
}
