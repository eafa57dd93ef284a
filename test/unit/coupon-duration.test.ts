import { couponCoversPeriod } from '../../domain/coupon-duration';

const once = { duration: 'once', durationInPeriods: null } as const;
const twice = { duration: 'repeating', durationInPeriods: 2 } as const;
const forever = { duration: 'forever', durationInPeriods: null } as const;

describe('couponCoversPeriod', () => {
  test('nothing before the period the coupon starts at', () => {
    for (const terms of [once, twice, forever]) expect(couponCoversPeriod(terms, 3, 2, 0)).toBe(false);
  });

  test('once: the first period billed from the start, whatever its index', () => {
    expect(couponCoversPeriod(once, 0, 0, 0)).toBe(true);
    expect(couponCoversPeriod(once, 0, 1, 1)).toBe(false);
    // Periods 3 and 4 were skipped while paused: period 5 is the first billed one.
    expect(couponCoversPeriod(once, 3, 5, 0)).toBe(true);
    expect(couponCoversPeriod(once, 3, 6, 1)).toBe(false);
  });

  test('repeating N: the first N periods billed', () => {
    expect([0, 1, 2, 3].map((i) => couponCoversPeriod(twice, 0, i, i))).toEqual([true, true, false, false]);
    expect(couponCoversPeriod(twice, 1, 4, 1)).toBe(true);
    expect(couponCoversPeriod(twice, 1, 5, 2)).toBe(false);
  });

  test('forever: every period from the start', () => {
    expect([0, 1, 50, 1_000].map((i) => couponCoversPeriod(forever, 0, i, i))).toEqual([true, true, true, true]);
  });
});
