import fc from 'fast-check';
import { INTERVAL_UNITS, MAX_INTERVAL_COUNT } from '../../../domain/frequency';
import type { BillingInterval } from '../../../domain/frequency';
import {
  InstalmentScheduleError,
  MAX_INSTALMENTS,
  buildInstalmentSchedule,
  parseAnnualInterestRate,
  type DownPaymentInput,
  type InstalmentSchedule,
  type ScheduleInput,
} from '../../../domain/instalment-schedule';
import { periodRate } from '../../../domain/instalment-amortisation';
import { PPM_PER_WHOLE, formatPercentage } from '../../../domain/pricing';

const MONTHLY: BillingInterval = { unit: 'month', count: 1 };
const JAN_31_2024 = '2024-01-31T00:00:00Z';

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const amounts = (s: InstalmentSchedule) => s.instalments.map((i) => i.amount);
const dueDates = (s: InstalmentSchedule) => s.instalments.map((i) => i.dueDate);

const equal = (overrides: Partial<ScheduleInput>): ScheduleInput => ({
  currency: 'USD',
  total: 100_000,
  method: 'equal',
  timeZone: 'UTC',
  firstPaymentDate: JAN_31_2024,
  count: 3,
  interval: MONTHLY,
  ...overrides,
});

/** The InstalmentScheduleError `build` throws, so a test can check its param and message. */
function errorOf(input: ScheduleInput): InstalmentScheduleError {
  try {
    buildInstalmentSchedule(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InstalmentScheduleError);
    return error as InstalmentScheduleError;
  }
  throw new Error('expected an InstalmentScheduleError');
}

const paramOf = (input: ScheduleInput) => errorOf(input).param;

/** Invariants every schedule keeps, whatever the method. */
function expectConsistent(s: InstalmentSchedule, principal: number): void {
  expect(s.principal).toBe(principal);
  expect(sum(amounts(s))).toBe(s.total);
  expect(s.total).toBe(s.principal + s.interestTotal);
  expect(sum(s.instalments.map((i) => i.principal))).toBe(principal);
  expect(sum(s.instalments.map((i) => i.interest))).toBe(s.interestTotal);
  let owed = principal;
  s.instalments.forEach((i, k) => {
    expect(i.number).toBe(k + 1);
    expect(Number.isSafeInteger(i.amount)).toBe(true);
    expect(i.amount).toBeGreaterThanOrEqual(1);
    expect(i.principal).toBeGreaterThanOrEqual(0);
    expect(i.interest).toBeGreaterThanOrEqual(0);
    expect(i.amount).toBe(i.principal + i.interest);
    owed -= i.principal;
    expect(i.remainingPrincipal).toBe(owed);
    expect(i.dueDate).toMatch(/Z$/);
    if (k > 0) expect(Date.parse(i.dueDate)).toBeGreaterThan(Date.parse(s.instalments[k - 1]!.dueDate));
  });
  expect(s.instalments.at(-1)!.remainingPrincipal).toBe(0);
}

// ---- arbitraries ------------------------------------------------------------------------------------

const currencyArb = fc.constantFrom('USD', 'JPY', 'KWD', 'EUR');
const timeZoneArb = fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Australia/Sydney');
const intervalArb: fc.Arbitrary<BillingInterval> = fc.record({
  unit: fc.constantFrom(...INTERVAL_UNITS),
  count: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: MAX_INTERVAL_COUNT })),
});
const firstDateArb = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const totalArb = fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 1_000_000_000_000 }));
const countArb = fc.integer({ min: 1, max: 120 });
/** [input, expected amount or null when the percentage must be refused]; derived from the total. */
const downPaymentArb = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map((seed) => ({ kind: 'amount' as const, seed })),
  fc.integer({ min: 1, max: PPM_PER_WHOLE - 1 }).map((ppm) => ({ kind: 'percent' as const, ppm })),
);
type DownPaymentSpec = { kind: 'none' } | { kind: 'amount'; seed: number } | { kind: 'percent'; ppm: number };

/** The down payment input for `total` and what it should come to (BigInt half-up, independent of the code under test). */
function downPaymentFor(spec: DownPaymentSpec, total: number): { input?: DownPaymentInput; amount: number } {
  if (spec.kind === 'none' || total < 2) return { amount: 0 };
  if (spec.kind === 'amount') {
    const amount = 1 + (spec.seed % (total - 1));
    return { input: { amount }, amount };
  }
  const amount = Number((2n * BigInt(total) * BigInt(spec.ppm) + BigInt(PPM_PER_WHOLE)) / (2n * BigInt(PPM_PER_WHOLE)));
  return { input: { percent: formatPercentage(spec.ppm) }, amount };
}

// ---- properties -------------------------------------------------------------------------------------

describe('equal schedules: properties', () => {
  it('split the total exactly, at least 1 minor unit each, on strictly increasing due dates', () => {
    fc.assert(
      fc.property(currencyArb, totalArb, countArb, intervalArb, downPaymentArb, timeZoneArb, firstDateArb, (currency, total, count, interval, dp, timeZone, firstPaymentDate) => {
        const down = downPaymentFor(dp, total);
        const input: ScheduleInput = { currency, total, method: 'equal', timeZone, firstPaymentDate, count, interval, downPayment: down.input };
        if (down.input && 'percent' in down.input && (down.amount < 1 || down.amount >= total)) {
          expect(paramOf(input)).toBe('down_payment[percent]');
          return;
        }
        const rest = total - down.amount;
        if (rest < count) {
          expect(paramOf(input)).toBe('count');
          return;
        }
        const s = buildInstalmentSchedule(input);
        expectConsistent(s, total);
        expect(s.total).toBe(total);
        expect(s.interestTotal).toBe(0);
        expect(s.instalments).toHaveLength(count + (down.amount > 0 ? 1 : 0));
        const regular = s.instalments.filter((i) => i.kind === 'instalment');
        // The remainder sits on the first regular instalment: the rest are floor(rest / count).
        const base = Math.floor(rest / count);
        expect(regular.slice(1).every((i) => i.amount === base)).toBe(true);
        expect(regular[0]!.amount - base).toBe(rest % count);
        if (down.amount > 0) {
          expect(s.instalments[0]).toMatchObject({ kind: 'down_payment', amount: down.amount, interest: 0 });
        }
        expect(Date.parse(s.instalments[0]!.dueDate)).toBe(Date.parse(firstPaymentDate));
      }),
    );
  });

  it('with interest: principal parts sum to the principal, amounts = principal + interest, last leaves nothing owed', () => {
    const rateArb = fc.integer({ min: 1, max: PPM_PER_WHOLE }).map(formatPercentage);
    fc.assert(
      fc.property(currencyArb, totalArb, countArb, intervalArb, downPaymentArb, rateArb, firstDateArb, (currency, total, count, interval, dp, rate, firstPaymentDate) => {
        const down = downPaymentFor(dp, total);
        const input: ScheduleInput = {
          currency,
          total,
          method: 'equal',
          timeZone: 'UTC',
          firstPaymentDate,
          count,
          interval,
          downPayment: down.input,
          annualInterestRate: rate,
        };
        let s: InstalmentSchedule;
        try {
          s = buildInstalmentSchedule(input);
        } catch (error) {
          // Only a count too large for the amount, a down payment rounding away, or interest beyond
          // the largest safe amount may refuse a plan here.
          expect(error).toBeInstanceOf(InstalmentScheduleError);
          expect(['count', 'down_payment[percent]', 'annual_interest_rate']).toContain((error as InstalmentScheduleError).param);
          return;
        }
        expectConsistent(s, total);
        const regular = s.instalments.filter((i) => i.kind === 'instalment');
        // Annuity: every regular payment but the last is the same amount.
        expect(new Set(regular.slice(0, -1).map((i) => i.amount)).size).toBeLessThanOrEqual(1);
        if (down.amount > 0) expect(s.instalments[0]).toMatchObject({ kind: 'down_payment', interest: 0 });
      }),
    );
  });

  it('with realistic loans (up to 30 %, monthly, at least 10.00 per instalment) always builds', () => {
    fc.assert(
      fc.property(
        countArb,
        fc.integer({ min: 1, max: 300_000 }).map(formatPercentage),
        fc.integer({ min: 1_000, max: 100_000_000 }),
        (count, rate, perInstalment) => {
          const total = perInstalment * count;
          const s = buildInstalmentSchedule(equal({ total, count, annualInterestRate: rate }));
          expectConsistent(s, total);
          expect(s.interestTotal).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

// ---- examples -----------------------------------------------------------------------------------------

describe('equal schedules: examples', () => {
  it('splits 1000.00 over 3 monthly payments with the remainder on the first', () => {
    const s = buildInstalmentSchedule(equal({}));
    expect(amounts(s)).toEqual([33_334, 33_333, 33_333]);
    expect(s.instalments.map((i) => i.remainingPrincipal)).toEqual([66_666, 33_333, 0]);
    expect(s).toMatchObject({ currency: 'USD', method: 'equal', principal: 100_000, interestTotal: 0, total: 100_000 });
    expect(s.instalments[0]).toEqual({
      number: 1,
      kind: 'instalment',
      dueDate: '2024-01-31T00:00:00.000Z',
      amount: 33_334,
      principal: 33_334,
      interest: 0,
      remainingPrincipal: 66_666,
    });
  });

  it('clamps month ends through the calendar: Jan 31 → Feb 29 → Mar 31 → Apr 30, Feb 28 in 2023', () => {
    expect(dueDates(buildInstalmentSchedule(equal({ count: 4 })))).toEqual([
      '2024-01-31T00:00:00.000Z',
      '2024-02-29T00:00:00.000Z',
      '2024-03-31T00:00:00.000Z',
      '2024-04-30T00:00:00.000Z',
    ]);
    expect(dueDates(buildInstalmentSchedule(equal({ firstPaymentDate: '2023-01-31T00:00:00Z', count: 2 })))).toEqual([
      '2023-01-31T00:00:00.000Z',
      '2023-02-28T00:00:00.000Z',
    ]);
  });

  it('keeps local time across DST in the customer zone', () => {
    // 09:00 in Paris is 08:00Z in winter and 07:00Z in summer.
    const s = buildInstalmentSchedule(equal({ timeZone: 'Europe/Paris', firstPaymentDate: '2024-02-15T08:00:00Z', count: 3 }));
    expect(dueDates(s)).toEqual(['2024-02-15T08:00:00.000Z', '2024-03-15T08:00:00.000Z', '2024-04-15T07:00:00.000Z']);
  });

  it('puts a down payment first, on the first payment date, and the instalments one interval apart after it', () => {
    const s = buildInstalmentSchedule(equal({ downPayment: { percent: '20' } }));
    expect(s.instalments.map((i) => [i.kind, i.dueDate, i.amount, i.remainingPrincipal])).toEqual([
      ['down_payment', '2024-01-31T00:00:00.000Z', 20_000, 80_000],
      ['instalment', '2024-02-29T00:00:00.000Z', 26_668, 53_332],
      ['instalment', '2024-03-31T00:00:00.000Z', 26_666, 26_666],
      ['instalment', '2024-04-30T00:00:00.000Z', 26_666, 0],
    ]);
    expect(amounts(buildInstalmentSchedule(equal({ downPayment: { amount: 10_000 }, count: 2 })))).toEqual([10_000, 45_000, 45_000]);
  });

  it('rounds a percentage down payment half-up to the minor unit', () => {
    // 12.5 % of 1.005 KWD (1005 fils) = 125.625 → 126; 12.5 % of ¥1004 = 125.5 → 126.
    expect(amounts(buildInstalmentSchedule(equal({ currency: 'KWD', total: 1005, downPayment: { percent: '12.5' }, count: 1 })))).toEqual([126, 879]);
    expect(amounts(buildInstalmentSchedule(equal({ currency: 'JPY', total: 1004, downPayment: { percent: '12.5' }, count: 1 })))).toEqual([126, 878]);
  });

  it('works in zero-decimal currencies and with weekly or yearly intervals', () => {
    const s = buildInstalmentSchedule(equal({ currency: 'jpy', total: 10_000, interval: { unit: 'week', count: 2 } }));
    expect(s.currency).toBe('JPY');
    expect(amounts(s)).toEqual([3_334, 3_333, 3_333]);
    expect(dueDates(s)).toEqual(['2024-01-31T00:00:00.000Z', '2024-02-14T00:00:00.000Z', '2024-02-28T00:00:00.000Z']);
    expect(dueDates(buildInstalmentSchedule(equal({ firstPaymentDate: '2024-02-29T00:00:00Z', interval: { unit: 'year', count: 1 }, count: 2 })))).toEqual([
      '2024-02-29T00:00:00.000Z',
      '2025-02-28T00:00:00.000Z',
    ]);
  });

  it('amortises 10,000.00 at 12 % over 12 monthly payments to 888.49 a month', () => {
    // Standard annuity: 1 000 000 × 0.01 × 1.01^12 / (1.01^12 − 1) = 88 848.79 → 88 849 cents.
    const s = buildInstalmentSchedule(equal({ total: 1_000_000, count: 12, annualInterestRate: '12' }));
    expect(amounts(s).slice(0, 11)).toEqual(new Array(11).fill(88_849));
    expect(s.instalments[0]).toMatchObject({ amount: 88_849, interest: 10_000, principal: 78_849, remainingPrincipal: 921_151 });
    // The last payment takes what is left: 879.67 principal + 8.80 interest.
    expect(s.instalments[11]).toMatchObject({ amount: 88_847, principal: 87_967, interest: 880, remainingPrincipal: 0 });
    expect(s.interestTotal).toBe(66_186);
    expect(s.total).toBe(1_066_186);
    expectConsistent(s, 1_000_000);
  });

  it('amortises only what is left after a down payment, which carries no interest', () => {
    // 12,000.00 with 2,000.00 down: the 10,000.00 left amortises exactly as above.
    const s = buildInstalmentSchedule(equal({ total: 1_200_000, count: 12, annualInterestRate: '12', downPayment: { amount: 200_000 } }));
    expect(s.instalments[0]).toMatchObject({ kind: 'down_payment', amount: 200_000, principal: 200_000, interest: 0, remainingPrincipal: 1_000_000 });
    expect(s.instalments[1]).toMatchObject({ amount: 88_849, interest: 10_000, dueDate: '2024-02-29T00:00:00.000Z' });
    expect(s.interestTotal).toBe(66_186);
  });

  it('derives the per-period rate exactly from the interval', () => {
    // 12 %/year: 1 % a month, 3 % a quarter, 12 % a year, 12 % × 14/365 every 2 weeks, 12 % × 10/365 every 10 days.
    expect(periodRate(120_000, { unit: 'month', count: 1 })).toEqual([1n, 100n]);
    expect(periodRate(120_000, { unit: 'month', count: 3 })).toEqual([3n, 100n]);
    expect(periodRate(120_000, { unit: 'year', count: 1 })).toEqual([3n, 25n]);
    expect(periodRate(120_000, { unit: 'week', count: 2 })).toEqual([42n, 9_125n]);
    expect(periodRate(120_000, { unit: 'day', count: 10 })).toEqual([6n, 1_825n]);
  });

  it('treats a rate of 0 as no interest', () => {
    expect(amounts(buildInstalmentSchedule(equal({ annualInterestRate: '0' })))).toEqual([33_334, 33_333, 33_333]);
  });

  it('accepts null for absent options, as JSON clients send', () => {
    const s = buildInstalmentSchedule({ ...equal({}), downPayment: null, annualInterestRate: null, custom: null } as unknown as ScheduleInput);
    expect(amounts(s)).toEqual([33_334, 33_333, 33_333]);
  });
});

describe('full and custom schedules', () => {
  const full = (overrides: Partial<ScheduleInput> = {}): ScheduleInput => ({
    currency: 'EUR',
    total: 12_345,
    method: 'full',
    timeZone: 'Europe/Paris',
    firstPaymentDate: '2024-03-01T10:00:00+01:00',
    ...overrides,
  });
  const custom = (items: ScheduleInput['custom'], overrides: Partial<ScheduleInput> = {}): ScheduleInput => ({
    currency: 'USD',
    total: 100_000,
    method: 'custom',
    timeZone: 'UTC',
    firstPaymentDate: JAN_31_2024,
    custom: items,
    ...overrides,
  });
  const dates = ['2024-01-15T00:00:00Z', '2024-02-15T00:00:00Z', '2024-06-01T00:00:00Z'];

  it('full: one instalment of the whole total on the first payment date', () => {
    expect(buildInstalmentSchedule(full())).toEqual({
      currency: 'EUR',
      method: 'full',
      principal: 12_345,
      interestTotal: 0,
      total: 12_345,
      instalments: [{ number: 1, kind: 'instalment', dueDate: '2024-03-01T09:00:00.000Z', amount: 12_345, principal: 12_345, interest: 0, remainingPrincipal: 0 }],
    });
  });

  it('full: refuses every option it would otherwise ignore, naming it', () => {
    expect(paramOf(full({ count: 3 }))).toBe('count');
    expect(paramOf(full({ interval: MONTHLY }))).toBe('interval');
    expect(paramOf(full({ downPayment: { amount: 1 } }))).toBe('down_payment');
    expect(paramOf(full({ custom: [] }))).toBe('custom');
    expect(paramOf(full({ annualInterestRate: '5' }))).toBe('annual_interest_rate');
    expect(paramOf(full({ firstPaymentDate: '2024-03-01' }))).toBe('first_payment_date');
  });

  it('custom percent 50/30/20 allocates the total exactly', () => {
    const items = dates.map((dueDate, k) => ({ dueDate, percent: ['50', '30', '20'][k] }));
    const s = buildInstalmentSchedule(custom(items));
    expect(amounts(s)).toEqual([50_000, 30_000, 20_000]);
    expect(dueDates(s)).toEqual(['2024-01-15T00:00:00.000Z', '2024-02-15T00:00:00.000Z', '2024-06-01T00:00:00.000Z']);
    expect(s.instalments.map((i) => i.remainingPrincipal)).toEqual([50_000, 20_000, 0]);
    // 1001 × 50/30/20 % = 500.5, 300.3, 200.2: the leftover minor unit goes to the largest share.
    expect(amounts(buildInstalmentSchedule(custom(items, { total: 1001 })))).toEqual([501, 300, 200]);
    // Exact far beyond where a float product of amount × ppm would round (10^12 × 10^6).
    const big = buildInstalmentSchedule(custom(dates.map((dueDate) => ({ dueDate, percent: '33.3333' })).concat([{ dueDate: '2025-01-01T00:00:00Z', percent: '0.0001' }]), { total: 999_999_999_999 }));
    expect(sum(amounts(big))).toBe(999_999_999_999);
  });

  it('custom amounts are taken as given when they sum to the total; firstPaymentDate is not used', () => {
    const s = buildInstalmentSchedule(custom(dates.map((dueDate, k) => ({ dueDate, amount: [10_000, 60_000, 30_000][k] })), { firstPaymentDate: '2030-01-01T00:00:00Z' }));
    expect(amounts(s)).toEqual([10_000, 60_000, 30_000]);
    expect(s.instalments[0]!.dueDate).toBe('2024-01-15T00:00:00.000Z');
  });

  it('custom schedules sum exactly, whatever the split (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000_000_000 }), fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 40 }), (total, weights) => {
        // Turn arbitrary weights into ppm that sum to exactly 100 %, every share > 0.
        const ppm = weights.map((w) => Math.max(1, Math.floor((w * PPM_PER_WHOLE) / sum(weights))));
        const excess = sum(ppm) - PPM_PER_WHOLE;
        const largest = ppm.indexOf(Math.max(...ppm));
        ppm[largest]! -= excess;
        fc.pre(ppm.every((p) => p > 0));
        const items = ppm.map((p, k) => ({ dueDate: new Date(Date.UTC(2024, 0, 1 + 7 * k)).toISOString(), percent: formatPercentage(p) }));
        let s: InstalmentSchedule;
        try {
          s = buildInstalmentSchedule(custom(items, { total }));
        } catch (error) {
          expect((error as InstalmentScheduleError).param).toMatch(/^custom\[\d+\]\[percent\]$/);
          return;
        }
        expectConsistent(s, total);
        expect(s.total).toBe(total);
      }),
    );
  });

  it('custom: each mistake names its item', () => {
    const at = (k: number) => dates[k]!;
    expect(paramOf(custom([{ dueDate: at(1), amount: 50_000 }, { dueDate: at(0), amount: 50_000 }]))).toBe('custom[1][due_date]');
    expect(paramOf(custom([{ dueDate: at(0), amount: 50_000 }, { dueDate: at(0), amount: 50_000 }]))).toBe('custom[1][due_date]');
    expect(paramOf(custom([{ dueDate: 'soon', amount: 100_000 }]))).toBe('custom[0][due_date]');
    expect(paramOf(custom([{ dueDate: at(0), amount: 50_000 }, { dueDate: at(1), percent: '50' }]))).toBe('custom[1][amount]');
    expect(paramOf(custom([{ dueDate: at(0), percent: '50' }, { dueDate: at(1), amount: 50_000 }]))).toBe('custom[1][percent]');
    expect(paramOf(custom([{ dueDate: at(0), amount: 50_000, percent: '50' }]))).toBe('custom[0]');
    expect(paramOf(custom([{ dueDate: at(0), amount: 0 }, { dueDate: at(1), amount: 100_000 }]))).toBe('custom[0][amount]');
    expect(paramOf(custom([{ dueDate: at(0), amount: 1.5 }]))).toBe('custom[0][amount]');
    expect(paramOf(custom([{ dueDate: at(0), percent: '0' }, { dueDate: at(1), percent: '100' }]))).toBe('custom[0][percent]');
    expect(paramOf(custom([{ dueDate: at(0), percent: '101' }]))).toBe('custom[0][percent]');
    // ¥3 × 0.0001 % rounds to nothing.
    expect(paramOf(custom([{ dueDate: at(0), percent: '99.9999' }, { dueDate: at(1), percent: '0.0001' }], { currency: 'JPY', total: 3 }))).toBe('custom[1][percent]');
  });

  it('custom: sums that miss the total or 100 % name `custom` and give both figures', () => {
    const short = errorOf(custom([{ dueDate: dates[0]!, amount: 40_000 }, { dueDate: dates[1]!, amount: 50_000 }]));
    expect(short.param).toBe('custom');
    expect(short.message).toContain('90000');
    expect(short.message).toContain('100000');
    const percent = errorOf(custom([{ dueDate: dates[0]!, percent: '60' }, { dueDate: dates[1]!, percent: '50' }]));
    expect(percent.param).toBe('custom');
    expect(percent.message).toContain('110 %');
    expect(errorOf(custom([{ dueDate: dates[0]!, percent: '60' }, { dueDate: dates[1]!, percent: '39.9995' }])).message).toContain('99.9995 %');
    expect(paramOf(custom([]))).toBe('custom');
    expect(paramOf(custom(undefined))).toBe('custom');
    expect(paramOf(custom(Array.from({ length: MAX_INSTALMENTS + 1 }, (_, k) => ({ dueDate: new Date(Date.UTC(2024, 0, 1 + k)).toISOString(), amount: 1 }))))).toBe('custom');
  });

  it('custom: refuses equal-only options', () => {
    const items = [{ dueDate: dates[0]!, amount: 100_000 }];
    expect(paramOf(custom(items, { annualInterestRate: '5' }))).toBe('annual_interest_rate');
    expect(paramOf(custom(items, { downPayment: { amount: 1 } }))).toBe('down_payment');
    expect(paramOf(custom(items, { count: 1 }))).toBe('count');
    expect(paramOf(custom(items, { interval: MONTHLY }))).toBe('interval');
  });
});

describe('validation: every error names its parameter', () => {
  it('common inputs', () => {
    expect(paramOf(equal({ currency: 'XYZ' }))).toBe('currency');
    expect(paramOf(equal({ currency: undefined as unknown as string }))).toBe('currency');
    for (const total of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN]) expect(paramOf(equal({ total }))).toBe('total');
    expect(paramOf(equal({ method: 'monthly' as never }))).toBe('method');
    expect(paramOf(equal({ timeZone: 'Mars/Olympus' }))).toBe('time_zone');
    expect(paramOf(equal({ firstPaymentDate: '2024-01-31' }))).toBe('first_payment_date');
    expect(paramOf(equal({ firstPaymentDate: 'tomorrow' }))).toBe('first_payment_date');
  });

  it('equal: count and interval', () => {
    expect(paramOf(equal({ count: undefined }))).toBe('count');
    for (const count of [0, -1, 2.5, MAX_INSTALMENTS + 1]) expect(paramOf(equal({ count }))).toBe('count');
    expect(paramOf(equal({ interval: undefined }))).toBe('interval');
    expect(paramOf(equal({ interval: { unit: 'fortnight' as never, count: 1 } }))).toBe('interval');
    expect(paramOf(equal({ interval: { unit: 'month', count: 0 } }))).toBe('interval');
    expect(paramOf(equal({ custom: [] }))).toBe('custom');
    // 3 cents cannot make 4 instalments of at least 1 cent.
    const tooMany = errorOf(equal({ total: 3, count: 4 }));
    expect(tooMany.param).toBe('count');
    expect(tooMany.message).toContain('at most 3');
    // After a 95.00 down payment only 5.00 is left for 600 instalments.
    expect(paramOf(equal({ total: 10_000, downPayment: { amount: 9_500 }, count: 600 }))).toBe('count');
    expect(buildInstalmentSchedule(equal({ total: MAX_INSTALMENTS, count: MAX_INSTALMENTS })).instalments).toHaveLength(MAX_INSTALMENTS);
    // Dates past the calendar's range.
    expect(paramOf(equal({ total: 1_000_000, count: 600, interval: { unit: 'year', count: 1000 } }))).toBe('count');
  });

  it('equal: down payment', () => {
    expect(paramOf(equal({ downPayment: {} as DownPaymentInput }))).toBe('down_payment');
    expect(paramOf(equal({ downPayment: { amount: 1, percent: '5' } as unknown as DownPaymentInput }))).toBe('down_payment');
    for (const amount of [0, -5, 100_000, 200_000, 1.5]) expect(paramOf(equal({ downPayment: { amount } }))).toBe('down_payment[amount]');
    for (const percent of ['0', '100', '100.5', '-5', '1e1', 'abc']) expect(paramOf(equal({ downPayment: { percent } }))).toBe('down_payment[percent]');
    // 1 % of 40 cents rounds to 0; 99 % of 40 cents rounds to all of it.
    expect(paramOf(equal({ total: 40, downPayment: { percent: '1' } }))).toBe('down_payment[percent]');
    expect(paramOf(equal({ total: 40, downPayment: { percent: '99' } }))).toBe('down_payment[percent]');
  });

  it('equal: interest', () => {
    for (const rate of ['101', '-1', '7.12345', 'seven', '']) expect(paramOf(equal({ annualInterestRate: rate }))).toBe('annual_interest_rate');
    // 9 cents over 6 payments at a tiny rate: each payment rounds up to 2 cents and would overpay the
    // principal before the last one.
    const drift = errorOf(equal({ total: 9, count: 6, annualInterestRate: '0.0001' }));
    expect(drift.param).toBe('count');
    // 100 % a year over 1000-year periods makes amounts no integer can hold.
    expect(paramOf(equal({ total: 1_000_000_000_000, count: 100, interval: { unit: 'year', count: 1000 }, annualInterestRate: '100' }))).toBe('annual_interest_rate');
  });

  it('parseAnnualInterestRate returns millionths and names the parameter', () => {
    expect(parseAnnualInterestRate('7.5')).toBe(75_000);
    expect(parseAnnualInterestRate('0')).toBe(0);
    expect(parseAnnualInterestRate('100')).toBe(PPM_PER_WHOLE);
    expect(parseAnnualInterestRate('0.0001')).toBe(1);
    expect(() => parseAnnualInterestRate('100.0001')).toThrow(InstalmentScheduleError);
    try {
      parseAnnualInterestRate('abc', 'plans[0][annual_interest_rate]');
      throw new Error('expected an error');
    } catch (error) {
      expect(error).toBeInstanceOf(InstalmentScheduleError);
      expect((error as InstalmentScheduleError).param).toBe('plans[0][annual_interest_rate]');
      expect((error as InstalmentScheduleError).name).toBe('InstalmentScheduleError');
    }
  });
});
