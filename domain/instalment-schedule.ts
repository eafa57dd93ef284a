/**
 * Instalment plans (payment schedules, leases, loans): turns what a customer owes into dated
 * instalments. Pure: no I/O, no clock, no randomness; every amount is integer minor units.
 *
 * Methods:
 *  - full: one instalment of the whole total, due on `firstPaymentDate`. Giving it a count,
 *    interval, down payment, custom items or an interest rate is an error naming that parameter, so
 *    nothing a caller sent is silently ignored.
 *  - equal: an optional down payment, then `count` regular instalments every `interval`.
 *      Down payment: a fixed amount (0 < amount < total) or a percentage of the total (> 0 and
 *      < 100, rounded half-up to a minor unit). It is instalment 1, due on `firstPaymentDate`, and
 *      never carries interest.
 *      Regular instalment k (k = 1..count) is due at periodStart(firstPaymentDate, timeZone,
 *      interval, k) when there is a down payment, and at period k − 1 when there is none (so the
 *      first payment of either kind is due on `firstPaymentDate`). Dates come from the billing
 *      calendar: computed from the anchor, in the customer's zone, so Jan 31 monthly gives Feb 28/29,
 *      Mar 31, Apr 30.
 *      Without interest the rest (total − down payment) is split into `count` parts of
 *      floor(rest / count); the rounding remainder (rest mod count, fewer than `count` minor units)
 *      lands on the FIRST regular instalment, so the later ones are all equal.
 *      With an annual interest rate r > 0 (simple annual rate, "7.5" = 7.5 %), the rest P is
 *      amortised as an annuity over the regular instalments:
 *        per-period rate  i = r × period length in years, exactly: count/12 for months, count for
 *                         years, 7 × count / 365 for weeks, count / 365 for days;
 *        payment          A = P · i · (1 + i)^n / ((1 + i)^n − 1), rounded half-up once;
 *        each instalment  interest = remaining principal × i, rounded half-up;
 *                         principal = A − interest; the LAST instalment instead takes the whole
 *                         remaining principal (amount = remaining + its interest), so the principal
 *                         parts add up to P exactly and the rounding drift lands on the last payment.
 *      Interest accrues one full period per regular instalment whatever `firstPaymentDate` is:
 *      that date is when the first payment is due, not when the money was lent.
 *      All of it is bigint rational arithmetic: the rate is never a float.
 *  - custom: the items carry every due date and amount; `firstPaymentDate` is not used. Due dates
 *    must strictly increase. Either every item has an `amount` (each ≥ 1, summing exactly to the
 *    total) or every item has a `percent` (each > 0, summing to exactly 100 %); percentages are
 *    turned into amounts by allocating the total by their millionths (dinero.js largest-remainder
 *    allocation, the leftover minor units going to the largest shares first), so they always sum to
 *    the total. Custom plans carry no interest.
 *
 * Every instalment is at least 1 minor unit; a count too large for the amount is an error on
 * `count`. Due dates strictly increase over the whole schedule. Without interest principal = amount
 * and interest = 0. `remainingPrincipal` is the principal still owed once that instalment is paid,
 * so it is 0 on the last one. Dates come back in the calendar's canonical UTC form
 * (2024-01-31T00:00:00.000Z).
 *
 * Errors are InstalmentScheduleError with `param` the API parameter in snake_case
 * (`down_payment[percent]`, `custom[2][due_date]`, `count`), so the API answers a 400 naming it.
 * Absent optional inputs may be `undefined` or `null` (JSON clients send either).
 */
import { CalendarError, instantMillis, isValidTimeZone, normalizeInstant, periodStart } from './calendar';
import { validateInterval } from './frequency';
import type { BillingInterval } from './frequency';
import { MoneyError, isSupportedCurrency, money } from './money';
import { PPM_PER_WHOLE, PricingError, allocateProportionally, formatPercentage, parsePercentage } from './pricing';
import { Refusal } from './rule-violation';
import { amortise, divideHalfUp, splitEqually } from './instalment-amortisation';

export const MAX_INSTALMENTS = 600;

/** A schedule that cannot be built from its input: a 400 naming the field (callers nest it under their own). */
export class InstalmentScheduleError extends Refusal {
  override name = 'InstalmentScheduleError';
  /** The API parameter at fault, snake_case: `count`, `down_payment[percent]`, `custom[2][amount]`. */
  declare readonly param: string;
  constructor(message: string, param: string) {
    super('parameter_invalid', message, param);
  }
}

export type ScheduleMethod = 'equal' | 'full' | 'custom';
export const SCHEDULE_METHODS: readonly ScheduleMethod[] = ['equal', 'full', 'custom'];

/** percent: decimal string like "20" or "12.5" (see parsePercentage). */
export type DownPaymentInput = { amount: number } | { percent: string };

/** Exactly one of amount/percent; all items use the same one. */
export interface CustomInstalmentInput {
  dueDate: string;
  amount?: number;
  percent?: string;
}

export interface ScheduleInput {
  currency: string;
  /** What is financed or owed, minor units, > 0. For a loan this is the principal. */
  total: number;
  method: ScheduleMethod;
  /** IANA, for the calendar. */
  timeZone: string;
  /** ISO instant; due date of the first payment (down payment if any, else instalment 1). Not used by custom. */
  firstPaymentDate: string;
  /** equal: number of regular instalments (after the down payment), 1..MAX_INSTALMENTS. */
  count?: number;
  /** equal: spacing of regular instalments (any billing frequency). */
  interval?: BillingInterval;
  /** equal only. */
  downPayment?: DownPaymentInput;
  /** equal only: simple annual interest rate as a percentage string ("7.5"); amortised (annuity) over the regular instalments. */
  annualInterestRate?: string;
  /** custom only, 1..MAX_INSTALMENTS items. */
  custom?: CustomInstalmentInput[];
}

export interface ScheduledInstalment {
  /** 1-based, in due-date order. */
  number: number;
  /** 'payoff' is never built here: a plan adds it when the customer pays off what is left early. */
  kind: 'down_payment' | 'instalment' | 'payoff';
  /** ISO instant. */
  dueDate: string;
  /** principal + interest. */
  amount: number;
  principal: number;
  interest: number;
  /** Principal still owed after this instalment is paid. */
  remainingPrincipal: number;
}

export interface InstalmentSchedule {
  currency: string;
  method: ScheduleMethod;
  /** = input.total */
  principal: number;
  interestTotal: number;
  /** principal + interestTotal = sum of amounts. */
  total: number;
  instalments: ScheduledInstalment[];
}

// ---- small helpers ----------------------------------------------------------------------------

function fail(message: string, param: string): never {
  throw new InstalmentScheduleError(message, param);
}

const isGiven = (value: unknown): boolean => value !== undefined && value !== null;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Millionths as a percentage for messages; unlike formatPercentage it takes sums above 100 %. */
function formatPpm(ppm: number): string {
  const wholes = Math.floor(ppm / PPM_PER_WHOLE);
  const rest = formatPercentage(ppm % PPM_PER_WHOLE);
  if (wholes === 0) return rest;
  // "110" for 1 100 000 ppm: the hundreds from the whole multiples, the rest from formatPercentage.
  const [integer, fraction] = rest.split('.');
  const percent = String(wholes * 100 + Number(integer));
  return fraction ? `${percent}.${fraction}` : percent;
}

function requireInstant(iso: string, param: string): string {
  const normalized = normalizeInstant(iso);
  if (normalized === null) {
    fail(`${param} must be an ISO 8601 instant with a UTC offset, e.g. 2024-01-31T00:00:00Z; got ${JSON.stringify(iso)}`, param);
  }
  return normalized;
}

function requirePercentage(text: unknown, param: string): number {
  try {
    return parsePercentage(text as string, param);
  } catch (error) {
    if (error instanceof PricingError) fail(error.message, param);
    throw error;
  }
}

/** Validates + returns ppm of an annual rate string; 0..100 with up to 4 decimals. */
export function parseAnnualInterestRate(text: string, param = 'annual_interest_rate'): number {
  return requirePercentage(text, param);
}

// ---- the builder --------------------------------------------------------------------------------

export function buildInstalmentSchedule(input: ScheduleInput): InstalmentSchedule {
  if (typeof input.currency !== 'string' || !isSupportedCurrency(input.currency)) {
    fail(`currency must be a supported ISO 4217 code such as USD, EUR or JPY, got ${JSON.stringify(input.currency)}`, 'currency');
  }
  let currency: string;
  try {
    currency = money(input.total, input.currency).currency;
  } catch (error) {
    if (error instanceof MoneyError) fail(`total must be a positive safe integer of minor units (e.g. cents), got ${String(input.total)}`, 'total');
    throw error;
  }
  if (input.total < 1) fail(`total must be at least 1 minor unit, got ${input.total}`, 'total');
  if (!SCHEDULE_METHODS.includes(input.method)) {
    fail(`method must be one of ${SCHEDULE_METHODS.join(', ')}, got ${JSON.stringify(input.method)}`, 'method');
  }
  if (!isValidTimeZone(input.timeZone)) {
    fail(`time_zone must be an IANA time zone such as Europe/Paris, got ${JSON.stringify(input.timeZone)}`, 'time_zone');
  }

  let instalments: ScheduledInstalment[];
  switch (input.method) {
    case 'full':
      instalments = buildFull(input);
      break;
    case 'equal':
      instalments = buildEqual(input);
      break;
    case 'custom':
      instalments = buildCustom(input, currency);
      break;
  }
  requireIncreasingDueDates(instalments);
  const interestTotal = instalments.reduce((sum, i) => sum + i.interest, 0);
  const total = instalments.reduce((sum, i) => sum + i.amount, 0);
  return { currency, method: input.method, principal: input.total, interestTotal, total, instalments };
}

function refuse(input: ScheduleInput, method: ScheduleMethod, fields: readonly (readonly [keyof ScheduleInput, string])[]): void {
  for (const [field, param] of fields) {
    if (isGiven(input[field])) fail(`${param} cannot be used with method "${method}"`, param);
  }
}

function buildFull(input: ScheduleInput): ScheduledInstalment[] {
  refuse(input, 'full', [
    ['count', 'count'],
    ['interval', 'interval'],
    ['downPayment', 'down_payment'],
    ['custom', 'custom'],
    ['annualInterestRate', 'annual_interest_rate'],
  ]);
  const dueDate = requireInstant(input.firstPaymentDate, 'first_payment_date');
  return [{ number: 1, kind: 'instalment', dueDate, amount: input.total, principal: input.total, interest: 0, remainingPrincipal: 0 }];
}

// ---- equal ------------------------------------------------------------------------------------------

function buildEqual(input: ScheduleInput): ScheduledInstalment[] {
  refuse(input, 'equal', [['custom', 'custom']]);
  const { count, interval } = input;
  if (!isGiven(count)) fail('count is required for method "equal"', 'count');
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_INSTALMENTS) {
    fail(`count must be an integer from 1 to ${MAX_INSTALMENTS}, got ${JSON.stringify(count)}`, 'count');
  }
  if (!isGiven(interval)) fail('interval is required for method "equal"', 'interval');
  const intervalProblem = validateInterval(interval);
  if (intervalProblem) fail(intervalProblem, 'interval');
  const validInterval = interval as BillingInterval;
  const first = requireInstant(input.firstPaymentDate, 'first_payment_date');
  const ratePpm = isGiven(input.annualInterestRate) ? parseAnnualInterestRate(input.annualInterestRate as string) : 0;

  const total = BigInt(input.total);
  const down = isGiven(input.downPayment) ? downPaymentAmount(input.downPayment, total) : 0n;
  const rest = total - down;
  if (rest < BigInt(count)) {
    fail(`count must be at most ${rest} so that each of the ${count} instalments is at least 1 minor unit of the ${rest} left to pay`, 'count');
  }

  const parts = ratePpm > 0 ? amortise(rest, count, ratePpm, validInterval, (message) => fail(message, 'count')) : splitEqually(rest, count);

  const instalments: ScheduledInstalment[] = [];
  if (down > 0n) {
    instalments.push({
      number: 1,
      kind: 'down_payment',
      dueDate: first,
      amount: Number(down),
      principal: Number(down),
      interest: 0,
      remainingPrincipal: Number(rest),
    });
  }
  const offset = down > 0n ? 1 : 0;
  let remaining = rest;
  parts.forEach((part, k) => {
    remaining -= part.principal;
    instalments.push({
      number: instalments.length + 1,
      kind: 'instalment',
      dueDate: regularDueDate(first, input.timeZone, validInterval, k + offset),
      amount: toSafeNumber(part.principal + part.interest),
      principal: Number(part.principal),
      interest: toSafeNumber(part.interest),
      remainingPrincipal: Number(remaining),
    });
  });
  if (instalments.reduce((sum, i) => sum + BigInt(i.amount), 0n) > MAX_SAFE) {
    fail('annual_interest_rate makes the plan total larger than the largest amount supported', 'annual_interest_rate');
  }
  return instalments;
}

function toSafeNumber(value: bigint): number {
  if (value > MAX_SAFE) fail('annual_interest_rate makes an instalment larger than the largest amount supported', 'annual_interest_rate');
  return Number(value);
}

function regularDueDate(first: string, timeZone: string, interval: BillingInterval, n: number): string {
  try {
    return periodStart(first, timeZone, interval, n);
  } catch (error) {
    // Inputs are validated already: what is left is running off the end of the calendar.
    if (error instanceof CalendarError) fail(`count is too large for this interval: instalment dates would fall outside the supported date range`, 'count');
    throw error;
  }
}

function downPaymentAmount(downPayment: unknown, total: bigint): bigint {
  if (typeof downPayment !== 'object' || downPayment === null) fail('down_payment must be an object with either amount or percent', 'down_payment');
  const { amount, percent } = downPayment as { amount?: unknown; percent?: unknown };
  if (isGiven(amount) === isGiven(percent)) fail('down_payment takes exactly one of amount or percent', 'down_payment');
  if (isGiven(amount)) {
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 1 || BigInt(amount) >= total) {
      fail(`down_payment[amount] must be an integer number of minor units greater than 0 and less than the total ${total}, got ${String(amount)}`, 'down_payment[amount]');
    }
    return BigInt(amount);
  }
  const ppm = requirePercentage(percent, 'down_payment[percent]');
  if (ppm <= 0 || ppm >= PPM_PER_WHOLE) fail(`down_payment[percent] must be greater than 0 and less than 100, got ${String(percent)}`, 'down_payment[percent]');
  const down = divideHalfUp(total * BigInt(ppm), BigInt(PPM_PER_WHOLE));
  if (down < 1n || down >= total) {
    fail(`down_payment[percent] ${formatPercentage(ppm)} % of ${total} minor units rounds to ${down}: the down payment must be at least 1 and less than the total`, 'down_payment[percent]');
  }
  return down;
}

// ---- custom ------------------------------------------------------------------------------------------

function buildCustom(input: ScheduleInput, currency: string): ScheduledInstalment[] {
  refuse(input, 'custom', [
    ['count', 'count'],
    ['interval', 'interval'],
    ['downPayment', 'down_payment'],
    ['annualInterestRate', 'annual_interest_rate'],
  ]);
  const items = input.custom;
  if (!isGiven(items)) fail('custom is required for method "custom": a list of {due_date, amount} or {due_date, percent}', 'custom');
  if (!Array.isArray(items) || items.length < 1 || items.length > MAX_INSTALMENTS) {
    fail(`custom must be a list of 1 to ${MAX_INSTALMENTS} instalments`, 'custom');
  }
  const byAmount = isGiven((items[0] as CustomInstalmentInput | undefined)?.amount);
  const dueDates: string[] = [];
  const values: number[] = [];
  items.forEach((item, index) => {
    const param = `custom[${index}]`;
    if (typeof item !== 'object' || item === null) fail(`${param} must be an object with due_date and amount or percent`, param);
    const dueDate = requireInstant(item.dueDate, `${param}[due_date]`);
    const previous = dueDates[index - 1];
    if (previous !== undefined && instantMillis(dueDate) <= instantMillis(previous)) {
      fail(`${param}[due_date] must be after custom[${index - 1}][due_date] (${previous}): due dates must strictly increase`, `${param}[due_date]`);
    }
    dueDates.push(dueDate);
    if (isGiven(item.amount) && isGiven(item.percent)) fail(`${param} takes exactly one of amount or percent, not both`, param);
    if (byAmount) {
      if (!isGiven(item.amount)) fail(`${param}[amount] is required: all custom instalments use amount, as custom[0] does`, `${param}[amount]`);
      const amount = item.amount;
      if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 1) {
        fail(`${param}[amount] must be an integer number of minor units of at least 1, got ${String(amount)}`, `${param}[amount]`);
      }
      values.push(amount);
    } else {
      if (!isGiven(item.percent)) fail(`${param}[percent] is required: all custom instalments use percent, as custom[0] does`, `${param}[percent]`);
      const ppm = requirePercentage(item.percent, `${param}[percent]`);
      if (ppm <= 0) fail(`${param}[percent] must be greater than 0, got ${String(item.percent)}`, `${param}[percent]`);
      values.push(ppm);
    }
  });

  let amounts: number[];
  if (byAmount) {
    const sum = values.reduce((s, v) => s + BigInt(v), 0n);
    if (sum !== BigInt(input.total)) fail(`custom amounts add up to ${sum} minor units but the total is ${input.total}: they must be equal`, 'custom');
    amounts = values;
  } else {
    const ppmSum = values.reduce((s, v) => s + v, 0);
    if (ppmSum !== PPM_PER_WHOLE) fail(`custom percentages add up to ${formatPpm(ppmSum)} %, they must add up to exactly 100 %`, 'custom');
    // The bigint allocator of pricing.ts: the same dinero.js largest-remainder rule as allocateMoney,
    // exact for totals whose product with 1 000 000 would pass 2^53.
    amounts = allocateProportionally(money(input.total, currency), values).map((m) => m.amount);
    amounts.forEach((amount, index) => {
      if (amount < 1) fail(`custom[${index}][percent] of the total ${input.total} rounds to 0 minor units`, `custom[${index}][percent]`);
    });
  }

  let remaining = input.total;
  return amounts.map((amount, index) => {
    remaining -= amount;
    return { number: index + 1, kind: 'instalment', dueDate: dueDates[index]!, amount, principal: amount, interest: 0, remainingPrincipal: remaining };
  });
}

function requireIncreasingDueDates(instalments: readonly ScheduledInstalment[]): void {
  for (let k = 1; k < instalments.length; k += 1) {
    if (instantMillis(instalments[k]!.dueDate) <= instantMillis(instalments[k - 1]!.dueDate)) {
      // Only a zone that skips a whole calendar day (see calendar.ts) can make two periods start together.
      fail(`instalments ${k} and ${k + 1} would fall due at the same instant in this time zone; choose another interval or first_payment_date`, 'interval');
    }
  }
}
