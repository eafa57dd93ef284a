import fc from 'fast-check';
import { MoneyError } from '../../../domain/money';
import { INTERVAL_UNITS, MAX_INTERVAL_COUNT, type BillingInterval, type IntervalUnit } from '../../../domain/frequency';
import { monthlyRecurringRevenue, monthlyShare, roundHalfUp, sumFractions } from '../../../domain/mrr';

const every = (count: number, unit: IntervalUnit): BillingInterval => ({ unit, count });

describe('monthly share of one recurring amount', () => {
  test.each([
    ['monthly', 2900, every(1, 'month'), 2900n, 1n],
    ['every 3 months', 9000, every(3, 'month'), 3000n, 1n],
    ['yearly', 30000, every(1, 'year'), 2500n, 1n],
    ['every 2 years', 30000, every(2, 'year'), 1250n, 1n],
    // 1000 × 52 / 12 = 13000 / 3
    ['weekly', 1000, every(1, 'week'), 13000n, 3n],
    // 1000 × 52 / 24 = 6500 / 3
    ['every 2 weeks', 1000, every(2, 'week'), 6500n, 3n],
    // 100 × 365 / 12 = 36500 / 12 = 9125 / 3
    ['daily', 100, every(1, 'day'), 9125n, 3n],
    // 100 × 365 / (12 × 30) = 36500 / 360 = 365 / 3.6 = 1825 / 18
    ['every 30 days', 100, every(30, 'day'), 1825n, 18n],
  ])('%s', (_name, amount, interval, numerator, denominator) => {
    expect(monthlyShare({ amount, interval })).toEqual({ numerator, denominator });
  });

  test('a bigint amount past 2^53 (a SQL sum) stays exact', () => {
    const big = 2n ** 60n;
    expect(monthlyShare({ amount: big * 12n, interval: every(1, 'year') })).toEqual({ numerator: big, denominator: 1n });
  });

  test.each([
    ['a negative amount', -1, every(1, 'month')],
    ['a fractional amount', 10.5, every(1, 'month')],
    ['an amount past 2^53 as a number', 2 ** 53, every(1, 'month')],
    ['a negative bigint', -1n, every(1, 'month')],
    ['a zero count', 100, every(0, 'month')],
    ['a count above the maximum', 100, every(MAX_INTERVAL_COUNT + 1, 'month')],
    ['an unknown unit', 100, { unit: 'fortnight', count: 1 } as unknown as BillingInterval],
  ])('rejects %s', (_name, amount, interval) => {
    expect(() => monthlyShare({ amount, interval })).toThrow(MoneyError);
  });
});

describe('monthly recurring revenue', () => {
  test('is zero without amounts', () => {
    expect(monthlyRecurringRevenue([])).toBe(0);
  });

  test('sums the exact shares and rounds once, not per amount', () => {
    // Each weekly cent is 52/12 = 4.33 cents a month: 13 cents for three of them, where rounding each
    // share first would say 3 × 4 = 12.
    const cent = { amount: 1, interval: every(1, 'week') };
    expect(monthlyRecurringRevenue([cent, cent, cent])).toBe(13);
  });

  test('rounds half-up: exactly half a minor unit goes up, just under half goes down', () => {
    // 1 cent every 2 months = 0.5 cent a month.
    expect(monthlyRecurringRevenue([{ amount: 1, interval: every(2, 'month') }])).toBe(1);
    // 1 cent every 3 months = 0.33 cent; 5 cents every 3 months = 1.67 cents.
    expect(monthlyRecurringRevenue([{ amount: 1, interval: every(3, 'month') }])).toBe(0);
    expect(monthlyRecurringRevenue([{ amount: 5, interval: every(3, 'month') }])).toBe(2);
    // 0.5 + 0.33 = 0.83 rounds to 1, although each share alone rounds to 1 and 0.
    expect(
      monthlyRecurringRevenue([
        { amount: 1, interval: every(2, 'month') },
        { amount: 1, interval: every(3, 'month') },
      ]),
    ).toBe(1);
  });

  test('the plan mix of the API test', () => {
    // 2 × 29.00 monthly = 5800; 300.00 yearly = 2500; 10.00 weekly = 1000 × 52 / 12 = 4333.33;
    // 90.00 every 3 months = 3000. Sum 15633.33, rounded once: 15633 cents.
    expect(
      monthlyRecurringRevenue([
        { amount: 2900 * 2, interval: every(1, 'month') },
        { amount: 30000, interval: every(1, 'year') },
        { amount: 1000, interval: every(1, 'week') },
        { amount: 9000, interval: every(3, 'month') },
      ]),
    ).toBe(15633);
  });

  test('a total too large for a safe integer is an error, not a rounded float', () => {
    expect(() => monthlyRecurringRevenue([{ amount: 2n ** 60n, interval: every(1, 'month') }])).toThrow(MoneyError);
  });

  test('equals the exact rational sum rounded half-up once (property)', () => {
    const recurring = fc.record({
      amount: fc.integer({ min: 0, max: 10_000_000_000 }),
      interval: fc.record({
        unit: fc.constantFrom<IntervalUnit>(...INTERVAL_UNITS),
        count: fc.integer({ min: 1, max: MAX_INTERVAL_COUNT }),
      }),
    });
    const yearlyUnits: Record<IntervalUnit, bigint> = { day: 365n, week: 52n, month: 12n, year: 1n };
    fc.assert(
      fc.property(fc.array(recurring, { maxLength: 12 }), (amounts) => {
        // Reference, computed independently of the module: every share over the one common
        // denominator 12 × (product of all counts), no reduction, then half-up as floor(x + 1/2).
        const counts = amounts.map((a) => BigInt(a.interval.count));
        const common = counts.reduce((product, c) => product * c, 12n);
        const numerator = amounts.reduce(
          (sum, a) => sum + (BigInt(a.amount) * yearlyUnits[a.interval.unit] * common) / (12n * BigInt(a.interval.count)),
          0n,
        );
        const expected = (2n * numerator + common) / (2n * common);
        expect(monthlyRecurringRevenue(amounts)).toBe(Number(expected));
        // And the result is within half a minor unit of the exact value.
        const exact = sumFractions(amounts.map(monthlyShare));
        const diff = 2n * (BigInt(monthlyRecurringRevenue(amounts)) * exact.denominator - exact.numerator);
        expect(diff <= exact.denominator && diff > -exact.denominator).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test('roundHalfUp on fractions', () => {
    expect(roundHalfUp({ numerator: 5n, denominator: 2n })).toBe(3n);
    expect(roundHalfUp({ numerator: 7n, denominator: 3n })).toBe(2n);
    expect(roundHalfUp({ numerator: 0n, denominator: 7n })).toBe(0n);
  });
});
