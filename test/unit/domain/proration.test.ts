import fc from 'fast-check';
import { ProrationError, checkProrationDate, prorate } from '../../../domain/proration';

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

describe('several changes in one period', () => {
  const april = { start: '2027-04-01T00:00:00.000Z', end: '2027-05-01T00:00:00.000Z' }; // 30 days
  const change = (oldAmount: number, newAmount: number, prorationDate: string) => prorate({ currency: 'USD', period: april, prorationDate, oldAmount, newAmount });

  test('out of order they would credit time never paid for: a date before the last change is refused', () => {
    // Basic (30.00) billed for April. Upgraded to pro (90.00) on the 21st: 10 days left, credit 10.00, charge 30.00.
    const first = change(30_00, 90_00, '2027-04-21T00:00:00.000Z');
    expect(first).toMatchObject({ credit: 10_00, charge: 30_00 });
    const billed = 30_00 + first.charge;
    // Back to basic dated the 11th: it would credit pro for 20 days (60.00), though pro was billed for 10.
    const outOfOrder = change(90_00, 30_00, '2027-04-11T00:00:00.000Z');
    expect(first.credit + outOfOrder.credit).toBeGreaterThan(billed); // 70.00 against 60.00
    expect(() => checkProrationDate(april, '2027-04-11T00:00:00.000Z', '2027-04-21T00:00:00.000Z')).toThrow(
      expect.objectContaining({ name: 'ProrationError', param: 'proration_date', message: expect.stringContaining('before the last plan change') }),
    );
  });

  test.each([
    ['the same instant as the last change is allowed', '2027-04-21T00:00:00.000Z', '2027-04-21T00:00:00.000Z', true],
    ['after the last change is allowed', '2027-04-26T00:00:00.000Z', '2027-04-21T00:00:00.000Z', true],
    ['the first change of the period is allowed', '2027-04-02T00:00:00.000Z', null, true],
    ['the period start after a change of an earlier period is allowed', '2027-04-01T00:00:00.000Z', '2027-03-30T00:00:00.000Z', true],
    ['one millisecond before the last change is refused', '2027-04-20T23:59:59.999Z', '2027-04-21T00:00:00.000Z', false],
    ['before the period is refused', '2027-03-31T23:59:59.999Z', null, false],
    ['at the period end is refused', '2027-05-01T00:00:00.000Z', null, false],
    ['not a date is refused', 'next week', null, false],
  ])('%s', (_, prorationDate, last, allowed) => {
    const check = () => checkProrationDate(april, prorationDate, last);
    if (allowed) expect(check).not.toThrow();
    else expect(check).toThrow(expect.objectContaining({ param: 'proration_date' }));
  });

  test('property: with the dates the rule allows, the credits of a period never exceed what was billed for it', () => {
    const start = Date.parse('2027-01-01T00:00:00Z');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 * 86_400_000 }),
        fc.integer({ min: 0, max: 1_000_000_00 }),
        fc.array(fc.record({ amount: fc.integer({ min: 0, max: 1_000_000_00 }), at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }) }), { maxLength: 8 }),
        (periodMs, firstAmount, changes) => {
          const period = { start: new Date(start).toISOString(), end: new Date(start + periodMs).toISOString() };
          let amount = firstAmount;
          let billed = firstAmount; // the period, billed whole at its start
          let credited = 0;
          let last: string | null = null;
          for (const next of changes) {
            const prorationDate = new Date(start + Math.floor(periodMs * next.at)).toISOString();
            try {
              checkProrationDate(period, prorationDate, last);
            } catch (err) {
              expect(err).toBeInstanceOf(ProrationError);
              expect(Date.parse(prorationDate)).toBeLessThan(Date.parse(last!));
              continue;
            }
            const { credit, charge } = prorate({ currency: 'USD', period, prorationDate, oldAmount: amount, newAmount: next.amount });
            credited += credit;
            // Every credit so far is covered by what was billed before this change (the period, earlier changes' charges).
            expect(credited).toBeLessThanOrEqual(billed);
            billed += charge;
            amount = next.amount;
            last = prorationDate;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
