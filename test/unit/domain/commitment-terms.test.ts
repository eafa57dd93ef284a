import fc from 'fast-check';
import { localDaysBefore } from '../../../domain/calendar';
import { periodsPerTerm, type BillingInterval } from '../../../domain/frequency';

describe('periodsPerTerm', () => {
  test.each<[BillingInterval, BillingInterval, number | null]>([
    [{ unit: 'year', count: 1 }, { unit: 'month', count: 3 }, 4],
    [{ unit: 'month', count: 12 }, { unit: 'month', count: 1 }, 12],
    [{ unit: 'year', count: 2 }, { unit: 'year', count: 1 }, 2],
    [{ unit: 'month', count: 6 }, { unit: 'month', count: 6 }, 1],
    [{ unit: 'week', count: 4 }, { unit: 'week', count: 2 }, 2],
    [{ unit: 'week', count: 2 }, { unit: 'day', count: 7 }, 2],
    [{ unit: 'month', count: 13 }, { unit: 'month', count: 3 }, null],
    [{ unit: 'month', count: 1 }, { unit: 'year', count: 1 }, null],
    [{ unit: 'month', count: 1 }, { unit: 'week', count: 1 }, null],
    [{ unit: 'year', count: 1 }, { unit: 'day', count: 1 }, null],
  ])('a %j term billed every %j has %p periods', (term, billing, expected) => {
    expect(periodsPerTerm(term, billing)).toBe(expected);
  });

  test('a term of k whole periods is k periods, for any calendar unit pair of the same family', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 12 }), fc.boolean(), (k, count, months) => {
        const billing: BillingInterval = { unit: months ? 'month' : 'day', count };
        const term: BillingInterval = { unit: billing.unit, count: count * k };
        expect(periodsPerTerm(term, billing)).toBe(k);
        // One unit more is never whole (unless a period is one unit long).
        if (count > 1) expect(periodsPerTerm({ unit: billing.unit, count: count * k + 1 }, billing)).toBeNull();
      }),
    );
  });
});

describe('localDaysBefore', () => {
  test('keeps the local time across a DST change', () => {
    // 00:00 Paris on 2027-04-01 (CEST, UTC+2); 7 days before is 00:00 on 2027-03-25 (CET, UTC+1).
    expect(localDaysBefore('2027-03-31T22:00:00Z', 'Europe/Paris', 7)).toBe('2027-03-24T23:00:00.000Z');
  });
  test('0 days is the instant itself; bad input is refused', () => {
    expect(localDaysBefore('2027-01-31T09:00:00Z', 'UTC', 0)).toBe('2027-01-31T09:00:00.000Z');
    expect(() => localDaysBefore('2027-01-31T09:00:00Z', 'Mars/Olympus', 1)).toThrow(/IANA/);
    expect(() => localDaysBefore('2027-01-31T09:00:00Z', 'UTC', -1)).toThrow(/non-negative/);
    expect(() => localDaysBefore('2027-01-31', 'UTC', 1)).toThrow(/UTC offset/);
  });
});
