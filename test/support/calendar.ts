/**
 * Calendar arithmetic for expected billing dates in tests. A month or a year is not a fixed number of
 * days, so a test that adds "30 days" or calls Date#setUTCMonth (which overflows: Jan 31 + 1 month
 * is Mar 3) passes on some days of the year and fails on others. These go through luxon in the
 * customer's time zone, clamping to the month's last day as billing does (Jan 31 + 1 month = Feb 28/29).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime, type DurationLikeObject } from 'luxon';

/** `instant` plus a calendar duration in `timeZone`, as the ISO string the API answers with. */
export function plusCalendar(instant: string | Date, duration: DurationLikeObject, timeZone = 'UTC'): string {
  const start = typeof instant === 'string' ? DateTime.fromISO(instant, { zone: timeZone }) : DateTime.fromJSDate(instant, { zone: timeZone });
  return start.plus(duration).toUTC().toISO()!;
}

/** A calendar date a check should start from: month ends, leap days, the year end. */
export interface CalendarAnchor {
  label: string;
  month: number;
  day: number;
  /** Feb 28 only in a year without Feb 29 (otherwise it is not a month end). */
  leap?: false;
  timeZone: string;
}

/**
 * The dates the calendar-sensitive workflow checks start from. The time-skipping server starts at
 * the real current time and cannot be set back or to a date, so each check skips its clock forward
 * to the next occurrence of one of these (see `skipToAnchor`).
 */
export const CALENDAR_ANCHORS: CalendarAnchor[] = [
  { label: 'Jan 31', month: 1, day: 31, timeZone: 'America/New_York' },
  { label: 'Feb 28 of a common year', month: 2, day: 28, leap: false, timeZone: 'UTC' },
  { label: 'Feb 29', month: 2, day: 29, timeZone: 'Europe/Paris' },
  { label: 'Mar 31', month: 3, day: 31, timeZone: 'Australia/Sydney' },
  { label: 'Dec 1', month: 12, day: 1, timeZone: 'UTC' },
  { label: 'Dec 31', month: 12, day: 31, timeZone: 'Asia/Tokyo' },
];

/** Local midnight of the first occurrence of `anchor` in its zone more than an hour after `afterMs`. */
export function nextOccurrence(anchor: CalendarAnchor, afterMs: number): DateTime {
  const after = DateTime.fromMillis(afterMs, { zone: anchor.timeZone });
  for (let year = after.year; year < after.year + 9; year += 1) {
    const candidate = DateTime.fromObject({ year, month: anchor.month, day: anchor.day }, { zone: anchor.timeZone });
    if (!candidate.isValid || candidate.day !== anchor.day) continue; // Feb 29 outside a leap year
    if (anchor.leap === false && candidate.isInLeapYear) continue;
    if (candidate.toMillis() > afterMs + 3_600_000) return candidate;
  }
  throw new Error(`no ${anchor.label} within 8 years of ${after.toISO()}`);
}

/** Skips the time-skipping server's clock to the next `anchor`; returns that instant. */
export async function skipToAnchor(env: TestWorkflowEnvironment, anchor: CalendarAnchor): Promise<DateTime> {
  const at = nextOccurrence(anchor, await env.currentTimeMs());
  await env.sleep(at.toMillis() - (await env.currentTimeMs()));
  return at;
}
