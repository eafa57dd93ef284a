/**
 * Which billing periods a subscription's coupon covers. Pure: no I/O, no clock.
 *
 * A coupon applied to a subscription starts at `startPeriod`: the subscription's next period to bill when
 * it was applied (0 for a coupon given at creation). Its duration counts the periods actually billed from
 * there: `once` covers the first billed period at or after the start, `repeating` N the first N, `forever`
 * all of them. Periods skipped while the subscription was paused are not billed, so they do not use the
 * coupon up (as a Stripe coupon's "once" means the next invoice, whenever that is).
 */

export type CouponDurationKind = 'once' | 'repeating' | 'forever';

export interface CouponDurationTerms {
  duration: CouponDurationKind;
  /** With `repeating` only: how many billed periods it covers. */
  durationInPeriods: number | null;
}

/**
 * @param periodIndex the period being invoiced
 * @param billedSinceStart how many periods of this subscription were already invoiced at or after
 *   `startPeriod` and before `periodIndex`
 */
export function couponCoversPeriod(terms: CouponDurationTerms, startPeriod: number, periodIndex: number, billedSinceStart: number): boolean {
  if (periodIndex < startPeriod) return false;
  switch (terms.duration) {
    case 'forever':
      return true;
    case 'once':
      return billedSinceStart < 1;
    case 'repeating':
      return billedSinceStart < (terms.durationInPeriods ?? 0);
  }
}
