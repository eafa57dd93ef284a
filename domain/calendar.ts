// The billing calendar: where period n of a subscription starts and ends.
//
// Period n always starts at anchor + n intervals, computed from the anchor in the customer's time
// zone and never by chaining period n-1. Chaining would drift: Jan 31 -> Feb 29 -> Mar 29 loses the
// month end for good, whereas anchor + n months clamps each month on its own (Feb 29, Mar 31, Apr 30).
// Working in local time keeps a 00:00 Europe/Paris anchor at 00:00 local across DST changes.
//
// Known limit: a local date the zone skipped entirely (Pacific/Apia went from 2011-12-29 to 12-31)
// makes the two periods that straddle it start at the same instant.
import { DateTime, IANAZone } from 'luxon';
import { validateInterval } from './frequency';
import type { BillingInterval, IntervalUnit } from './frequency';
import { Refusal } from './rule-violation';

/** A date, time zone or billing interval the calendar cannot use (422 `date_invalid`). */
export class CalendarError extends Refusal {
  override name = 'CalendarError';
  constructor(message: string) {
    super('date_invalid', message);
  }
}

export interface BillingPeriod {
  index: number;
  /** Inclusive, UTC ISO instant. */
  start: string;
  /** Exclusive: the start of the next period. */
  end: string;
}

export function isValidTimeZone(timeZone: string): boolean {
  return typeof timeZone === 'string' && IANAZone.isValidZone(timeZone);
}

// An ISO string without an offset would be read in whatever zone the process runs in; refuse it.
const EXPLICIT_OFFSET = /T.*(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

function parseInstant(iso: string, what: string): DateTime {
  const parsed = typeof iso === 'string' && EXPLICIT_OFFSET.test(iso) ? DateTime.fromISO(iso, { zone: 'utc' }) : null;
  if (!parsed?.isValid) {
    throw new CalendarError(`${what} must be an ISO 8601 instant with a UTC offset (e.g. 2024-01-31T00:00:00Z), got ${JSON.stringify(iso)}`);
  }
  return parsed;
}

// Validated once per call so the loops below can't fail half way.
interface Schedule {
  anchor: DateTime;
  interval: BillingInterval;
}

function schedule(anchorIso: string, timeZone: string, interval: BillingInterval): Schedule {
  if (!isValidTimeZone(timeZone)) {
    throw new CalendarError(`Time zone must be an IANA name such as Europe/Paris, got ${JSON.stringify(timeZone)}`);
  }
  const problem = validateInterval(interval);
  if (problem) throw new CalendarError(`Invalid billing interval: ${problem}`);
  return { anchor: parseInstant(anchorIso, 'Anchor').setZone(timeZone), interval };
}

const LUXON_UNITS = { day: 'days', week: 'weeks', month: 'months', year: 'years' } as const satisfies Record<IntervalUnit, string>;

function startOf({ anchor, interval }: Schedule, n: number): DateTime {
  // luxon adds calendar units in the zone of `anchor`, keeps the local time and clamps the day of
  // month to the target month's length.
  const start = anchor.plus({ [LUXON_UNITS[interval.unit]]: interval.count * n });
  if (!start.isValid) throw new CalendarError(`Billing period ${n} falls outside the supported date range`);
  return start;
}

function toIso(instant: DateTime): string {
  const iso = instant.toUTC().toISO();
  if (iso === null) throw new CalendarError('Billing date falls outside the supported date range');
  return iso;
}

function requirePeriodIndex(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new CalendarError(`Period index must be a non-negative integer, got ${String(n)}`);
  }
}

export function periodStart(anchor: string, timeZone: string, interval: BillingInterval, n: number): string {
  requirePeriodIndex(n);
  return toIso(startOf(schedule(anchor, timeZone, interval), n));
}

/** Period n as the half-open range [start, end). */
export function billingPeriod(anchor: string, timeZone: string, interval: BillingInterval, n: number): BillingPeriod {
  requirePeriodIndex(n);
  const s = schedule(anchor, timeZone, interval);
  return { index: n, start: toIso(startOf(s, n)), end: toIso(startOf(s, n + 1)) };
}

// Rough lengths, only to guess an index that indexAt then corrects by stepping.
const DAY_MS = 86_400_000;
const AVERAGE_UNIT_MS: Record<IntervalUnit, number> = {
  day: DAY_MS,
  week: 7 * DAY_MS,
  month: (365.2425 / 12) * DAY_MS,
  year: 365.2425 * DAY_MS,
};

function indexAt(s: Schedule, instantMs: number): number {
  if (instantMs < s.anchor.toMillis()) return -1;
  const periodMs = AVERAGE_UNIT_MS[s.interval.unit] * s.interval.count;
  // Month lengths, clamping and DST make periods uneven, so the guess can be off by a period or two.
  let index = Math.floor((instantMs - s.anchor.toMillis()) / periodMs);
  while (index > 0 && startOf(s, index).toMillis() > instantMs) index -= 1;
  while (startOf(s, index + 1).toMillis() <= instantMs) index += 1;
  return index;
}

/** Index of the period containing `instant`, or -1 when it is before the anchor. */
export function periodIndexAt(anchor: string, timeZone: string, interval: BillingInterval, instant: string): number {
  const s = schedule(anchor, timeZone, interval);
  return indexAt(s, parseInstant(instant, 'Instant').toMillis());
}

/** Index of the first period whose start is at or after `instant` (0 when `instant` is before the anchor). */
export function firstPeriodStartingAtOrAfter(anchor: string, timeZone: string, interval: BillingInterval, instant: string): number {
  const s = schedule(anchor, timeZone, interval);
  const instantMs = parseInstant(instant, 'Instant').toMillis();
  const index = indexAt(s, instantMs);
  if (index < 0) return 0;
  return startOf(s, index).toMillis() === instantMs ? index : index + 1;
}

/**
 * `days` calendar days before `instant` in `timeZone`, at the same local time (a notice "3 days
 * before" a 00:00 Paris renewal goes out at 00:00 Paris, across a DST change too).
 */
export function localDaysBefore(instant: string, timeZone: string, days: number): string {
  if (!isValidTimeZone(timeZone)) throw new CalendarError(`Time zone must be an IANA name such as Europe/Paris, got ${JSON.stringify(timeZone)}`);
  if (!Number.isSafeInteger(days) || days < 0) throw new CalendarError(`Days must be a non-negative integer, got ${String(days)}`);
  return toIso(parseInstant(instant, 'Instant').setZone(timeZone).minus({ days }));
}

/**
 * Where the period that ends at `anchor` starts: one interval before it, in `timeZone` (a Mar 31
 * monthly anchor gives Feb 28 or 29). A start before the anchor bills that period's remaining share.
 */
export function previousPeriodStart(anchor: string, timeZone: string, interval: BillingInterval): string {
  const s = schedule(anchor, timeZone, interval);
  const start = s.anchor.minus({ [LUXON_UNITS[interval.unit]]: interval.count });
  if (!start.isValid) throw new CalendarError('Billing period falls outside the supported date range');
  return toIso(start);
}

const ONE_DAY: BillingInterval = { unit: 'day', count: 1 };

/**
 * The calendar's canonical UTC form of an ISO instant, or null when it is not one. Period 0 of any
 * schedule is its anchor, so this applies exactly the calendar's parsing rules (an explicit offset
 * is required) and yields the same string form as every computed due date.
 */
export function normalizeInstant(iso: string): string | null {
  try {
    return periodStart(iso, 'UTC', ONE_DAY, 0);
  } catch (error) {
    if (error instanceof CalendarError) return null;
    throw error;
  }
}

/** Milliseconds since the epoch of a normalised instant (Date.parse reads a given string, not the clock). */
export function instantMillis(normalizedIso: string): number {
  return Date.parse(normalizedIso);
}
