/**
 * The calendar helpers the workflow and API tests take their expected dates from (test/support/calendar.ts):
 * they must give the right date whatever day the suite runs on.
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { CALENDAR_ANCHORS, nextOccurrence, plusCalendar } from '../support/calendar';

describe('plusCalendar', () => {
  it.each([
    ['2027-01-31T09:00:00.000Z', { months: 1 }, 'UTC', '2027-02-28T09:00:00.000Z'],
    ['2028-01-31T09:00:00.000Z', { months: 1 }, 'UTC', '2028-02-29T09:00:00.000Z'],
    ['2028-02-29T09:00:00.000Z', { years: 1 }, 'UTC', '2029-02-28T09:00:00.000Z'],
    ['2027-03-31T09:00:00.000Z', { months: -1 }, 'UTC', '2027-02-28T09:00:00.000Z'],
    ['2026-12-02T10:00:00.000Z', { months: 13 }, 'UTC', '2028-01-02T10:00:00.000Z'], // 396 days, not 395
    // 00:00 in Paris on Mar 1 (UTC+1) to 00:00 on Apr 1 (UTC+2): one hour less in UTC.
    ['2027-02-28T23:00:00.000Z', { months: 1 }, 'Europe/Paris', '2027-03-31T22:00:00.000Z'],
  ])('%s plus %j in %s is %s', (from, duration, zone, expected) => {
    expect(plusCalendar(from, duration, zone)).toBe(expected);
  });
});

describe('nextOccurrence of a calendar anchor, from any day', () => {
  it('is local midnight on that month and day, after the given instant, within the next leap cycle', () => {
    const nowArb = fc.integer({ min: Date.UTC(2012, 0, 1), max: Date.UTC(2040, 0, 1) });
    fc.assert(
      fc.property(nowArb, fc.constantFrom(...CALENDAR_ANCHORS), (now, anchor) => {
        const at = nextOccurrence(anchor, now);
        expect([at.month, at.day, at.hour, at.minute]).toEqual([anchor.month, anchor.day, 0, 0]);
        expect(at.zoneName).toBe(anchor.timeZone);
        expect(at.toMillis()).toBeGreaterThan(now);
        expect(at.toMillis() - now).toBeLessThan((anchor.day === 29 ? 8 * 366 : 2 * 366) * 86_400_000);
        if (anchor.leap === false) expect(at.isInLeapYear).toBe(false);
      }),
    );
  });

  it('covers month ends, both February ends and the year end', () => {
    const labels = CALENDAR_ANCHORS.map((a) => DateTime.local(2028, a.month, 1).toFormat('LLL') + ` ${a.day}`);
    expect(labels).toEqual(expect.arrayContaining(['Jan 31', 'Feb 28', 'Feb 29', 'Mar 31', 'Dec 1', 'Dec 31']));
  });
});
