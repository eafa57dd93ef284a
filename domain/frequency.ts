// How often a subscription or plan bills. A frequency is either one-time (null) or a calendar
// interval: "every `count` `unit`s", counted in the customer's local calendar (see calendar.ts).

export type IntervalUnit = 'day' | 'week' | 'month' | 'year';

export interface BillingInterval {
  unit: IntervalUnit;
  count: number;
}

export const INTERVAL_UNITS: readonly IntervalUnit[] = ['day', 'week', 'month', 'year'];

// Large enough for any real plan ("every 1000 days"), small enough that period dates stay far
// inside the range the calendar can represent.
export const MAX_INTERVAL_COUNT = 1000;

/** The frequencies sales pick from a list (HubSpot's 11); anything else is "every N units". */
export const NAMED_FREQUENCIES = {
  one_time: null,
  weekly: { unit: 'week', count: 1 },
  biweekly: { unit: 'week', count: 2 },
  monthly: { unit: 'month', count: 1 },
  quarterly: { unit: 'month', count: 3 },
  semiannually: { unit: 'month', count: 6 },
  yearly: { unit: 'year', count: 1 },
  every_2_years: { unit: 'year', count: 2 },
  every_3_years: { unit: 'year', count: 3 },
  every_4_years: { unit: 'year', count: 4 },
  every_5_years: { unit: 'year', count: 5 },
} as const satisfies Record<string, BillingInterval | null>;

export type NamedFrequency = keyof typeof NAMED_FREQUENCIES;

export function isNamedFrequency(name: string): name is NamedFrequency {
  return Object.prototype.hasOwnProperty.call(NAMED_FREQUENCIES, name);
}

/** Returns why `interval` is unusable, or null when it is valid. Safe on untrusted input. */
export function validateInterval(interval: unknown): string | null {
  if (typeof interval !== 'object' || interval === null) return 'interval must be an object with unit and count';
  const { unit, count } = interval as Partial<Record<keyof BillingInterval, unknown>>;
  if (!INTERVAL_UNITS.includes(unit as IntervalUnit)) {
    return `interval unit must be one of ${INTERVAL_UNITS.join(', ')}, got ${JSON.stringify(unit)}`;
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_INTERVAL_COUNT) {
    return `interval count must be an integer from 1 to ${MAX_INTERVAL_COUNT}, got ${JSON.stringify(count)}`;
  }
  return null;
}

const SINGLE_UNIT_NAMES: Record<IntervalUnit, string> = {
  day: 'daily',
  week: 'weekly',
  month: 'monthly',
  year: 'yearly',
};

/** Wording for invoices and emails: "monthly", "every 3 months", "every 2 weeks". */
export function describeInterval(interval: BillingInterval): string {
  const { unit, count } = interval;
  return count === 1 ? SINGLE_UNIT_NAMES[unit] : `every ${count} ${unit}s`;
}

/** Like describeInterval, with null (one-time) as "one-time". */
export function describeFrequency(interval: BillingInterval | null): string {
  return interval === null ? 'one-time' : describeInterval(interval);
}

const MONTHS_PER: Partial<Record<IntervalUnit, number>> = { month: 1, year: 12 };
const DAYS_PER: Partial<Record<IntervalUnit, number>> = { day: 1, week: 7 };

/**
 * How many billing periods make one commitment term (a 12-month term paid quarterly: 4), or null when
 * the term is not a whole number of periods (13 months paid quarterly; 1 month paid weekly: weeks
 * and months do not divide each other on the calendar).
 */
export function periodsPerTerm(term: BillingInterval, billing: BillingInterval): number | null {
  for (const scale of [MONTHS_PER, DAYS_PER]) {
    const termUnits = scale[term.unit];
    const billingUnits = scale[billing.unit];
    if (termUnits === undefined || billingUnits === undefined) continue;
    const termLength = termUnits * term.count;
    const periodLength = billingUnits * billing.count;
    return termLength % periodLength === 0 ? termLength / periodLength : null;
  }
  return null;
}
