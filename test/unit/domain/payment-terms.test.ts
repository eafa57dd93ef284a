import fc from 'fast-check';
import { DateTime } from 'luxon';
import { NET_TERMS_DAYS, PAYMENT_TERMS, PaymentTermsError, computeDueDate, defaultPaymentTerms, isPaymentTerms } from '../../../domain/payment-terms';

const at = (iso: string) => new Date(iso);

describe('computeDueDate', () => {
  it('is the finalize instant for due_on_receipt', () => {
    const finalized = at('2026-11-22T10:15:00.000Z');
    expect(computeDueDate('due_on_receipt', finalized, 'Europe/Paris')).toEqual(finalized);
  });

  it('counts calendar days across month ends', () => {
    expect(computeDueDate('net_30', at('2026-01-31T12:00:00.000Z'), 'UTC').toISOString()).toBe('2026-03-02T12:00:00.000Z');
    // 2028 is a leap year: Jan 31 + 30 days is Mar 1.
    expect(computeDueDate('net_30', at('2028-01-31T12:00:00.000Z'), 'UTC').toISOString()).toBe('2028-03-01T12:00:00.000Z');
    expect(computeDueDate('net_7', at('2026-12-28T09:00:00.000Z'), 'UTC').toISOString()).toBe('2027-01-04T09:00:00.000Z');
    expect(computeDueDate('net_90', at('2026-11-30T00:00:00.000Z'), 'UTC').toISOString()).toBe('2027-02-28T00:00:00.000Z');
  });

  it("counts days on the customer's calendar: the local date, not the UTC one", () => {
    // 23:30 UTC on Mar 31 is still Mar 31 in New York (19:30) but already Apr 1 in Tokyo (08:30).
    const finalized = at('2026-03-31T23:30:00.000Z');
    const ny = DateTime.fromJSDate(computeDueDate('net_15', finalized, 'America/New_York'), { zone: 'America/New_York' });
    expect(ny.toFormat('yyyy-LL-dd HH:mm')).toBe('2026-04-15 19:30');
    const tokyo = DateTime.fromJSDate(computeDueDate('net_15', finalized, 'Asia/Tokyo'), { zone: 'Asia/Tokyo' });
    expect(tokyo.toFormat('yyyy-LL-dd HH:mm')).toBe('2026-04-16 08:30');
  });

  it('keeps the local time across a DST change (the interval is then 23 or 25 hours short of whole days)', () => {
    // New York springs forward on 2026-03-08: 10:00 EST on Mar 5 → 10:00 EDT on Mar 12.
    const due = computeDueDate('net_7', at('2026-03-05T15:00:00.000Z'), 'America/New_York');
    expect(due.toISOString()).toBe('2026-03-12T14:00:00.000Z');
    // Paris falls back on 2026-10-25: 09:00 CEST on Oct 20 → 09:00 CET on Oct 27.
    expect(computeDueDate('net_7', at('2026-10-20T07:00:00.000Z'), 'Europe/Paris').toISOString()).toBe('2026-10-27T08:00:00.000Z');
  });

  it('returns the given date for custom terms and needs one', () => {
    const custom = at('2027-01-15T17:00:00.000Z');
    expect(computeDueDate('custom', at('2026-11-22T10:00:00.000Z'), 'UTC', custom)).toEqual(custom);
    expect(() => computeDueDate('custom', at('2026-11-22T10:00:00.000Z'), 'UTC')).toThrow(PaymentTermsError);
  });

  it('rejects an invalid zone or instant', () => {
    expect(() => computeDueDate('net_30', at('2026-11-22T10:00:00.000Z'), 'Mars/Olympus')).toThrow(PaymentTermsError);
    expect(() => computeDueDate('net_30', new Date(NaN), 'UTC')).toThrow(PaymentTermsError);
  });

  it('is always N local calendar days later at the same local time, in any zone', () => {
    const zones = ['UTC', 'America/New_York', 'Europe/London', 'Australia/Sydney', 'Asia/Kolkata', 'Pacific/Chatham'];
    const nets = Object.keys(NET_TERMS_DAYS) as (keyof typeof NET_TERMS_DAYS)[];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.constantFrom(...zones),
        fc.constantFrom(...nets),
        (ms, zone, terms) => {
          const finalized = DateTime.fromMillis(ms, { zone });
          const due = DateTime.fromJSDate(computeDueDate(terms, new Date(ms), zone), { zone });
          const days = NET_TERMS_DAYS[terms];
          expect(due.startOf('day').diff(finalized.startOf('day'), 'days').days).toBeCloseTo(days, 0);
          expect(due.toISODate()).toBe(finalized.plus({ days }).toISODate());
          expect(due.toMillis()).toBeGreaterThan(ms);
        },
      ),
    );
  });
});

describe('terms', () => {
  it('defaults by collection method and lists every supported term', () => {
    expect(defaultPaymentTerms('send_invoice')).toBe('net_30');
    expect(defaultPaymentTerms('charge_automatically')).toBe('due_on_receipt');
    expect(PAYMENT_TERMS).toEqual(['due_on_receipt', 'net_7', 'net_15', 'net_30', 'net_45', 'net_60', 'net_90', 'custom']);
    expect(isPaymentTerms('net_45')).toBe(true);
    expect(isPaymentTerms('net_31')).toBe(false);
  });
});
