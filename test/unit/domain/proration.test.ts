import fc from 'fast-check';
import { ProrationError, prorate } from '../../../domain/proration';

const period = { start: '2027-01-01T00:00:00.000Z', end: '2027-02-01T00:00:00.000Z' }; // 31 days

test('credit and charge are the unused and remaining shares of the period, each rounded half-up once', () => {
  // 10 days into a 31-day month: 21/31 of the period is left.
  const result = prorate({ currency: 'USD', period, prorationDate: '2027-01-11T00:00:00.000Z', oldAmount: 30_00, newAmount: 90_00 });
  expect(result).toEqual({ remainingMs: 21 * 86_400_000, periodMs: 31 * 86_400_000, credit: 2032, charge: 6097, net: 4065 });
  // 3000 × 21/31 = 2032.26 → 2032; 9000 × 21/31 = 6096.77 → 6097.
});

test('half a minor unit rounds up', () => {
  const half = prorate({ currency: 'USD', period: { start: '2027-01-01T00:00:00Z', end: '2027-01-01T00:00:02Z' }, prorationDate: '2027-01-01T00:00:01Z', oldAmount: 1, newAmount: 3 });
  expect(half).toMatchObject({ credit: 1, charge: 2 }); // 0.5 → 1, 1.5 → 2
});

test('a downgrade nets to a credit; the first instant of the period prorates the whole period', () => {
  expect(prorate({ currency: 'JPY', period, prorationDate: period.start, oldAmount: 9000, newAmount: 3000 })).toMatchObject({ credit: 9000, charge: 3000, net: -6000 });
});

test('a proration date outside the period, or a bad period, is refused by name', () => {
  const at = (prorationDate: string) => () => prorate({ currency: 'USD', period, prorationDate, oldAmount: 1, newAmount: 2 });
  expect(at(period.end)).toThrow(ProrationError);
  expect(at('2026-12-31T23:59:59Z')).toThrow(expect.objectContaining({ param: 'proration_date' }));
  expect(at('soon')).toThrow(expect.objectContaining({ param: 'proration_date' }));
  expect(() => prorate({ currency: 'USD', period: { start: period.end, end: period.start }, prorationDate: period.start, oldAmount: 1, newAmount: 2 })).toThrow(
    expect.objectContaining({ param: 'period' }),
  );
});

test('property: each amount is the exact share rounded once; never more than the whole amount', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 10_000_000_000 }),
      fc.integer({ min: 0, max: 10_000_000_000 }),
      fc.integer({ min: 1, max: 400 * 86_400_000 }),
      fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
      (oldAmount, newAmount, periodMs, fraction) => {
        const start = Date.parse('2027-01-01T00:00:00Z');
        const at = start + Math.floor(periodMs * fraction);
        const result = prorate({
          currency: 'USD',
          period: { start: new Date(start).toISOString(), end: new Date(start + periodMs).toISOString() },
          prorationDate: new Date(at).toISOString(),
          oldAmount,
          newAmount,
        });
        const remaining = BigInt(start + periodMs - at);
        const exact = (amount: number) => (2n * BigInt(amount) * remaining + BigInt(periodMs)) / (2n * BigInt(periodMs));
        expect(BigInt(result.credit)).toBe(exact(oldAmount));
        expect(BigInt(result.charge)).toBe(exact(newAmount));
        expect(result.credit).toBeLessThanOrEqual(oldAmount);
        expect(result.charge).toBeLessThanOrEqual(newAmount);
        expect(result.net).toBe(result.charge - result.credit);
      },
    ),
  );
});
