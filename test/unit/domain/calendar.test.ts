import fc from 'fast-check';
import { DateTime, Settings } from 'luxon';
import {
  CalendarError,
  billingPeriod,
  firstPeriodStartingAtOrAfter,
  isValidTimeZone,
  periodIndexAt,
  periodStart,
  previousPeriodStart,
} from '../../../domain/calendar';
import { INTERVAL_UNITS, NAMED_FREQUENCIES } from '../../../domain/frequency';
import type { BillingInterval } from '../../../domain/frequency';

const MONTHLY: BillingInterval = { unit: 'month', count: 1 };
const QUARTERLY: BillingInterval = { unit: 'month', count: 3 };
const WEEKLY: BillingInterval = { unit: 'week', count: 1 };
const DAILY: BillingInterval = { unit: 'day', count: 1 };
const EVERY_2_YEARS: BillingInterval = { unit: 'year', count: 2 };

const starts = (anchor: string, timeZone: string, interval: BillingInterval, indices: number[]) =>
  indices.map((n) => periodStart(anchor, timeZone, interval, n));

describe('month-end anchors', () => {
  const jan31 = '2024-01-31T00:00:00.000Z';

  it('clamps to the end of shorter months without drifting', () => {
    expect(starts(jan31, 'UTC', MONTHLY, [0, 1, 2, 3, 4])).toEqual([
      '2024-01-31T00:00:00.000Z',
      '2024-02-29T00:00:00.000Z',
      '2024-03-31T00:00:00.000Z',
      '2024-04-30T00:00:00.000Z',
      '2024-05-31T00:00:00.000Z',
    ]);
    expect(periodStart(jan31, 'UTC', MONTHLY, 13)).toBe('2025-02-28T00:00:00.000Z');
    expect(periodStart(jan31, 'UTC', MONTHLY, 120)).toBe('2034-01-31T00:00:00.000Z');
  });

  it('uses Feb 28 in a non-leap year', () => {
    expect(periodStart('2023-01-31T00:00:00.000Z', 'UTC', MONTHLY, 1)).toBe('2023-02-28T00:00:00.000Z');
  });

  it('bills quarterly from a month end', () => {
    expect(starts(jan31, 'UTC', QUARTERLY, [1, 2, 3, 4])).toEqual([
      '2024-04-30T00:00:00.000Z',
      '2024-07-31T00:00:00.000Z',
      '2024-10-31T00:00:00.000Z',
      '2025-01-31T00:00:00.000Z',
    ]);
  });

  it('bills every 2 years from Feb 29, back on Feb 29 in leap years', () => {
    expect(starts('2024-02-29T12:00:00.000Z', 'UTC', EVERY_2_YEARS, [1, 2, 3])).toEqual([
      '2026-02-28T12:00:00.000Z',
      '2028-02-29T12:00:00.000Z',
      '2030-02-28T12:00:00.000Z',
    ]);
  });

  it('finds the period containing an instant, including around clamped month ends', () => {
    expect(periodIndexAt(jan31, 'UTC', MONTHLY, '2024-01-30T23:59:59.999Z')).toBe(-1);
    expect(periodIndexAt(jan31, 'UTC', MONTHLY, jan31)).toBe(0);
    expect(periodIndexAt(jan31, 'UTC', MONTHLY, '2024-02-28T23:59:59.999Z')).toBe(0);
    expect(periodIndexAt(jan31, 'UTC', MONTHLY, '2024-02-29T00:00:00.000Z')).toBe(1);
    expect(periodIndexAt(jan31, 'UTC', MONTHLY, '2024-03-30T12:00:00.000Z')).toBe(1);
    expect(periodIndexAt(jan31, 'UTC', MONTHLY, '2024-03-31T00:00:00.000Z')).toBe(2);
    expect(periodIndexAt(jan31, 'UTC', MONTHLY, '2034-01-30T23:59:59.999Z')).toBe(119);
  });

  it('finds the next period start at or after an instant', () => {
    expect(firstPeriodStartingAtOrAfter(jan31, 'UTC', MONTHLY, '2023-06-01T00:00:00.000Z')).toBe(0);
    expect(firstPeriodStartingAtOrAfter(jan31, 'UTC', MONTHLY, jan31)).toBe(0);
    expect(firstPeriodStartingAtOrAfter(jan31, 'UTC', MONTHLY, '2024-01-31T00:00:00.001Z')).toBe(1);
    expect(firstPeriodStartingAtOrAfter(jan31, 'UTC', MONTHLY, '2024-02-29T00:00:00.000Z')).toBe(1);
    expect(firstPeriodStartingAtOrAfter(jan31, 'UTC', MONTHLY, '2024-03-30T12:00:00.000Z')).toBe(2);
  });
});

describe('billing periods', () => {
  it('are half-open: a period ends where the next starts', () => {
    expect(billingPeriod('2024-01-31T00:00:00.000Z', 'UTC', MONTHLY, 1)).toEqual({
      index: 1,
      start: '2024-02-29T00:00:00.000Z',
      end: '2024-03-31T00:00:00.000Z',
    });
  });

  it('bills weekly on the same weekday', () => {
    expect(starts('2024-01-01T09:15:00.000Z', 'UTC', WEEKLY, [1, 52])).toEqual(['2024-01-08T09:15:00.000Z', '2024-12-30T09:15:00.000Z']);
    expect(periodStart('2024-01-01T00:00:00.000Z', 'UTC', NAMED_FREQUENCIES.biweekly, 1)).toBe('2024-01-15T00:00:00.000Z');
  });

  it('accepts an anchor written with any UTC offset', () => {
    expect(periodStart('2024-01-31T01:00:00+01:00', 'UTC', MONTHLY, 1)).toBe('2024-02-29T00:00:00.000Z');
  });

  it('handles far-away periods directly', () => {
    expect(periodStart('2024-01-01T00:00:00.000Z', 'UTC', DAILY, 36_524)).toBe('2124-01-01T00:00:00.000Z');
    expect(periodIndexAt('2024-01-01T00:00:00.000Z', 'UTC', DAILY, '2124-01-01T00:00:00.000Z')).toBe(36_524);
  });
});

describe('time zones and DST', () => {
  it('keeps a midnight Europe/Paris anchor at local midnight across DST changes', () => {
    // 2024-03-01 00:00 CET is 23:00 UTC the day before.
    const anchor = '2024-02-29T23:00:00.000Z';
    expect(periodStart(anchor, 'Europe/Paris', MONTHLY, 1)).toBe('2024-03-31T22:00:00.000Z'); // Apr 1 00:00 CEST
    expect(periodStart(anchor, 'Europe/Paris', MONTHLY, 8)).toBe('2024-10-31T23:00:00.000Z'); // Nov 1 00:00 CET
    expect(periodIndexAt(anchor, 'Europe/Paris', MONTHLY, '2024-03-31T21:59:59.999Z')).toBe(0);
    expect(periodIndexAt(anchor, 'Europe/Paris', MONTHLY, '2024-03-31T22:00:00.000Z')).toBe(1);
  });

  it('applies month-end clamping to the local date, not the UTC date', () => {
    // Jan 31 00:00 in Tokyo is Jan 30 15:00 UTC; the next period is Feb 29 00:00 Tokyo.
    expect(periodStart('2024-01-30T15:00:00.000Z', 'Asia/Tokyo', MONTHLY, 1)).toBe('2024-02-28T15:00:00.000Z');
  });

  it('keeps a 09:00 New York time through the autumn change', () => {
    expect(periodStart('2024-10-28T13:00:00.000Z', 'America/New_York', WEEKLY, 1)).toBe('2024-11-04T14:00:00.000Z');
  });

  it('moves a time that DST skips forward by the gap, then returns to the anchor time', () => {
    const anchor = '2024-03-09T07:30:00.000Z'; // 02:30 EST; 2024-03-10 02:30 does not exist in New York
    expect(starts(anchor, 'America/New_York', DAILY, [1, 2])).toEqual(['2024-03-10T07:30:00.000Z', '2024-03-11T06:30:00.000Z']);
  });

  it('does not depend on the process or luxon default time zone', () => {
    const before = billingPeriod('2024-01-30T15:00:00.000Z', 'Asia/Tokyo', MONTHLY, 1);
    const defaultZone = Settings.defaultZone;
    try {
      Settings.defaultZone = 'Pacific/Kiritimati';
      expect(billingPeriod('2024-01-30T15:00:00.000Z', 'Asia/Tokyo', MONTHLY, 1)).toEqual(before);
    } finally {
      Settings.defaultZone = defaultZone;
    }
  });
});

describe('input validation', () => {
  it('recognises IANA time zones', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });

  it.each([
    ['an invalid time zone', () => periodStart('2024-01-01T00:00:00Z', 'Mars/Olympus_Mons', MONTHLY, 0), /Time zone must be an IANA name/],
    ['a malformed anchor', () => periodStart('31/01/2024', 'UTC', MONTHLY, 0), /Anchor must be an ISO 8601 instant/],
    ['an anchor without offset', () => periodStart('2024-01-31T00:00:00', 'UTC', MONTHLY, 0), /with a UTC offset/],
    ['a date-only anchor', () => periodStart('2024-01-31', 'UTC', MONTHLY, 0), /with a UTC offset/],
    ['an impossible date', () => periodStart('2024-02-30T00:00:00Z', 'UTC', MONTHLY, 0), /Anchor must be/],
    ['a malformed instant', () => periodIndexAt('2024-01-31T00:00:00Z', 'UTC', MONTHLY, 'yesterday'), /Instant must be/],
    ['a negative period index', () => periodStart('2024-01-31T00:00:00Z', 'UTC', MONTHLY, -1), /non-negative integer/],
    ['a fractional period index', () => billingPeriod('2024-01-31T00:00:00Z', 'UTC', MONTHLY, 1.5), /non-negative integer/],
    ['an invalid interval', () => periodStart('2024-01-31T00:00:00Z', 'UTC', { unit: 'month', count: 0 }, 0), /Invalid billing interval/],
    ['a date beyond the calendar range', () => periodStart('2024-01-31T00:00:00Z', 'UTC', { unit: 'year', count: 1000 }, 1_000), /outside the supported date range/],
  ])('rejects %s with a CalendarError', (_label, call, message) => {
    expect(call).toThrow(CalendarError);
    expect(call).toThrow(message);
  });
});

// ---- properties -------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
const TEN_YEARS_MS = 3_653 * DAY_MS;
const ROUGH_UNIT_MS = { day: DAY_MS, week: 7 * DAY_MS, month: 31 * DAY_MS, year: 366 * DAY_MS };
// Zones skipped whole local dates before 2012 (Pacific/Apia lost 2011-12-30); anchors start after that.
const FIRST_ANCHOR_MS = Date.UTC(2012, 0, 1);
const LAST_ANCHOR_MS = Date.UTC(2040, 0, 1);

const timeZoneArb = fc.constantFrom('UTC', ...Intl.supportedValuesOf('timeZone'));

const intervalArb: fc.Arbitrary<BillingInterval> = fc.oneof(
  fc.constantFrom(...Object.values(NAMED_FREQUENCIES).filter((interval) => interval !== null)),
  fc.record({ unit: fc.constantFrom(...INTERVAL_UNITS), count: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ unit: fc.constantFrom(...INTERVAL_UNITS), count: fc.integer({ min: 1, max: 1000 }) }),
);

// Any instant, or a local late-month date (where clamping matters) at a whole hour in the zone.
const anchorArb = (timeZone: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.integer({ min: FIRST_ANCHOR_MS, max: LAST_ANCHOR_MS }).map((ms) => new Date(ms).toISOString()),
    fc
      .record({ year: fc.integer({ min: 2012, max: 2039 }), month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 28, max: 31 }), hour: fc.integer({ min: 0, max: 23 }) })
      .map(({ year, month, day, hour }) => {
        const local = DateTime.fromObject({ year, month, day: 1, hour }, { zone: timeZone });
        return local.set({ day: Math.min(day, local.daysInMonth ?? 28) }).toUTC().toISO() ?? '';
      }),
  );

const scheduleArb = fc
  .tuple(timeZoneArb, intervalArb)
  .chain(([timeZone, interval]) => {
    const lastIndex = Math.max(1, Math.floor(TEN_YEARS_MS / (ROUGH_UNIT_MS[interval.unit] * interval.count)));
    return fc.record({
      timeZone: fc.constant(timeZone),
      interval: fc.constant(interval),
      anchor: anchorArb(timeZone),
      n: fc.integer({ min: 0, max: lastIndex }),
    });
  });

const ms = (iso: string) => Date.parse(iso);
const inZone = (iso: string, timeZone: string) => DateTime.fromISO(iso, { zone: 'utc' }).setZone(timeZone);
const wallClockMs = (local: DateTime) =>
  Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, local.millisecond);
const daysInMonth = (year: number, monthIndex: number) => new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();

// Local wall-clock time of period n worked out by hand: anchor + n intervals on the calendar,
// day of month clamped to the target month, same time of day as the anchor.
function expectedWallClockMs(anchor: DateTime, { unit, count }: BillingInterval, n: number): number {
  const { year, month, day, hour, minute, second, millisecond } = anchor;
  if (unit === 'day' || unit === 'week') {
    return Date.UTC(year, month - 1, day + count * n * (unit === 'week' ? 7 : 1), hour, minute, second, millisecond);
  }
  const monthIndex = month - 1 + count * n * (unit === 'year' ? 12 : 1);
  const targetYear = year + Math.floor(monthIndex / 12);
  const targetMonth = monthIndex % 12;
  return Date.UTC(targetYear, targetMonth, Math.min(day, daysInMonth(targetYear, targetMonth)), hour, minute, second, millisecond);
}

const offsetMinutesAt = (instantMs: number, timeZone: string) => DateTime.fromMillis(instantMs, { zone: timeZone }).offset;

describe('calendar properties (all named frequencies and random every-N intervals, any time zone)', () => {
  it('starts period 0 at the anchor', () => {
    fc.assert(
      fc.property(scheduleArb, ({ anchor, timeZone, interval }) => {
        expect(periodStart(anchor, timeZone, interval, 0)).toBe(new Date(anchor).toISOString());
      }),
    );
  });

  it('tiles time: each period ends where the next starts, and starts strictly increase', () => {
    fc.assert(
      fc.property(scheduleArb, ({ anchor, timeZone, interval, n }) => {
        const period = billingPeriod(anchor, timeZone, interval, n);
        const next = billingPeriod(anchor, timeZone, interval, n + 1);
        expect(period.index).toBe(n);
        expect(period.start).toBe(periodStart(anchor, timeZone, interval, n));
        expect(period.end).toBe(next.start);
        expect(ms(period.start)).toBeLessThan(ms(period.end));
        expect(period.start).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      }),
    );
  });

  it('never drifts from the anchor over 10 years', () => {
    fc.assert(
      fc.property(scheduleArb, ({ anchor, timeZone, interval, n }) => {
        const anchorLocal = inZone(anchor, timeZone);
        const start = periodStart(anchor, timeZone, interval, n);
        const startLocal = inZone(start, timeZone);
        const drift = wallClockMs(startLocal) - expectedWallClockMs(anchorLocal, interval, n);
        if (drift !== 0) {
          // Only allowed when the wall-clock time fell in a DST gap: it then moves forward by the gap.
          const gapMs = (offsetMinutesAt(ms(start), timeZone) - offsetMinutesAt(ms(start) - DAY_MS, timeZone)) * 60_000;
          expect(gapMs).toBeGreaterThan(0);
          expect(drift).toBe(gapMs);
        } else if (interval.unit === 'month' || interval.unit === 'year') {
          expect(startLocal.day).toBe(Math.min(anchorLocal.day, startLocal.daysInMonth ?? 0));
        }
      }),
    );
  });

  it('places the start and the last millisecond of period n in period n', () => {
    fc.assert(
      fc.property(scheduleArb, ({ anchor, timeZone, interval, n }) => {
        const { start, end } = billingPeriod(anchor, timeZone, interval, n);
        const lastMs = new Date(ms(end) - 1).toISOString();
        expect(periodIndexAt(anchor, timeZone, interval, start)).toBe(n);
        expect(periodIndexAt(anchor, timeZone, interval, lastMs)).toBe(n);
        expect(periodIndexAt(anchor, timeZone, interval, new Date(ms(anchor) - 1).toISOString())).toBe(-1);
        expect(firstPeriodStartingAtOrAfter(anchor, timeZone, interval, start)).toBe(n);
        expect(firstPeriodStartingAtOrAfter(anchor, timeZone, interval, lastMs)).toBe(n + 1);
      }),
    );
  });

  it('finds the period of any instant within 10 years', () => {
    fc.assert(
      fc.property(scheduleArb, fc.integer({ min: -DAY_MS, max: TEN_YEARS_MS }), ({ anchor, timeZone, interval }, offsetMs) => {
        const instant = new Date(ms(anchor) + offsetMs).toISOString();
        const index = periodIndexAt(anchor, timeZone, interval, instant);
        const next = firstPeriodStartingAtOrAfter(anchor, timeZone, interval, instant);
        if (offsetMs < 0) {
          expect(index).toBe(-1);
          expect(next).toBe(0);
          return;
        }
        const { start, end } = billingPeriod(anchor, timeZone, interval, index);
        expect(ms(start)).toBeLessThanOrEqual(ms(instant));
        expect(ms(instant)).toBeLessThan(ms(end));
        expect(next).toBe(ms(start) === ms(instant) ? index : index + 1);
      }),
    );
  });
});

describe('previousPeriodStart (the partial period before a billing anchor), any anchor date', () => {
  // One interval back on the local calendar, the day clamped to the target month (Mar 31 → Feb 28/29).
  function oneIntervalBackWallClockMs(anchor: DateTime, { unit, count }: BillingInterval): number {
    const { year, month, day, hour, minute, second, millisecond } = anchor;
    if (unit === 'day' || unit === 'week') return Date.UTC(year, month - 1, day - count * (unit === 'week' ? 7 : 1), hour, minute, second, millisecond);
    const monthIndex = year * 12 + month - 1 - count * (unit === 'year' ? 12 : 1);
    const [targetYear, targetMonth] = [Math.floor(monthIndex / 12), monthIndex % 12];
    return Date.UTC(targetYear, targetMonth, Math.min(day, daysInMonth(targetYear, targetMonth)), hour, minute, second, millisecond);
  }

  it('is one interval before the anchor on the local calendar', () => {
    fc.assert(
      fc.property(scheduleArb, ({ anchor, timeZone, interval }) => {
        const start = previousPeriodStart(anchor, timeZone, interval);
        expect(ms(start)).toBeLessThan(ms(anchor));
        const drift = wallClockMs(inZone(start, timeZone)) - oneIntervalBackWallClockMs(inZone(anchor, timeZone), interval);
        // Only a wall-clock time inside a DST gap moves (forward, by the gap).
        if (drift !== 0) expect(drift).toBe((offsetMinutesAt(ms(start), timeZone) - offsetMinutesAt(ms(start) - DAY_MS, timeZone)) * 60_000);
      }),
    );
  });

  it.each([
    ['2027-03-31T00:00:00.000Z', 'UTC', '2027-02-28T00:00:00.000Z'],
    ['2028-03-31T00:00:00.000Z', 'UTC', '2028-02-29T00:00:00.000Z'],
    ['2027-01-31T05:00:00.000Z', 'America/New_York', '2026-12-31T05:00:00.000Z'],
    ['2026-12-31T15:00:00.000Z', 'Asia/Tokyo', '2026-11-30T15:00:00.000Z'],
  ])('monthly, anchor %s in %s: the period before starts %s', (anchor, timeZone, expected) => {
    expect(previousPeriodStart(anchor, timeZone, MONTHLY)).toBe(expected);
  });
});
