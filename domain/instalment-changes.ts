/**
 * Changing a running instalment plan: edit, delete and reschedule instalments, and read its balances.
 * Pure: no I/O, no clock ("now" is an argument), no randomness; amounts are integer minor units.
 *
 * Rules:
 *  - Only `scheduled` instalments change. Everything else (invoiced, paid, failed, overdue, written
 *    off, canceled) is history: it is returned exactly as it came, every field included.
 *  - Every function returns a new array of new objects and never mutates its input. Numbers are
 *    stable ids and are never reassigned (a deleted instalment leaves a gap). The result is sorted by
 *    due date (then number).
 *  - Due dates strictly increase over the whole plan, history included, and a change never moves an
 *    instalment past another one: a new date must fall between its neighbours ('due_date_order').
 *    Canceled instalments are out of the plan and take no part in the order.
 *  - A changed or moved instalment cannot be due before `now` ('due_date_in_past'). Amounts are
 *    integers of at least 1 minor unit ('invalid_amount').
 *  - keepTotal (the default) keeps the plan total: the difference an edit or a delete makes is spread
 *    over the OTHER scheduled instalments in proportion to their amounts (dinero.js largest-remainder
 *    allocation, bigint so it is exact for any amount; leftover minor units go to the largest amounts
 *    first), so the total stays the same to the minor unit. When there is nothing to spread over the
 *    change is 'nothing_to_rebalance'; when the spread would bring one of them under 1 minor unit it
 *    is 'total_would_change' (the change only fits by changing the total: keepTotal = false).
 *    keepTotal = false changes the plan total by the difference.
 *  - Loans (hasInterest): the amortisation fixes every amount, so amount edits and deletes are
 *    'loan_amount_edit' (pay early or pay off instead); due dates can still move.
 *  - Without interest, each scheduled instalment is recomputed after a change: principal = amount,
 *    interest = 0, and remainingPrincipal = the principal of every later instalment that is still
 *    part of the plan (not canceled, not written off).
 *  - reschedule moves the first scheduled instalment to the new date and applies the same calendar
 *    shift (months, then days, then time, in the plan's zone, via luxon) to the later scheduled ones:
 *    +1 month from Jan 31 lands on Feb 28/29, Mar 31 on Apr 30.
 */
import { DateTime, IANAZone } from 'luxon';
import { money } from './money';
import { allocateProportionally } from './pricing';
import { instantMillis, normalizeInstant } from './calendar';
import { RuleViolation } from './rule-violation';
import type { ScheduledInstalment } from './instalment-schedule';

/**
 * Beyond the five core statuses: 'overdue' is an invoiced instalment past its due date (history, still
 * owed, like 'failed'); 'written_off' is one the business gave up collecting (history, no longer owed,
 * not paid).
 */
export type InstalmentStatus = 'scheduled' | 'invoiced' | 'paid' | 'failed' | 'canceled' | 'overdue' | 'written_off';

export interface PlanInstalment extends ScheduledInstalment {
  status: InstalmentStatus;
  invoiceId: string | null;
  /** When it was paid, for paid instalments; never read or changed here. */
  paidAt?: string | null;
}

/** Why a change is refused: codes of a RuleViolation (their kinds are in domain/rule-violation.ts). */
export type InstalmentChangeErrorCode =
  | 'instalment_not_found'
  | 'instalment_not_editable'
  | 'invalid_amount'
  | 'invalid_due_date'
  | 'total_would_change'
  | 'nothing_to_rebalance'
  | 'nothing_to_reschedule'
  | 'plan_would_be_empty'
  | 'due_date_order'
  | 'due_date_in_past'
  | 'loan_amount_edit';

function fail(message: string, code: InstalmentChangeErrorCode): never {
  throw new RuleViolation(code, message);
}

/** Only 'scheduled' instalments can change; everything else (invoiced, paid, failed, canceled, overdue, written_off) is history. */
export function isChangeable(i: PlanInstalment): boolean {
  return i.status === 'scheduled';
}

/** Still part of what the plan asks for (a canceled instalment is not). */
const inPlan = (i: PlanInstalment): boolean => i.status !== 'canceled';
/** Still to be collected. */
const owed = (i: PlanInstalment): boolean => i.status !== 'canceled' && i.status !== 'paid' && i.status !== 'written_off';

export interface EditInstalmentChange {
  number: number;
  amount?: number;
  dueDate?: string;
  /** default true: the difference is spread over the other scheduled instalments */
  keepTotal?: boolean;
}

// ---- helpers ------------------------------------------------------------------------------------

function requireNow(now: string): number {
  const normalized = normalizeInstant(now);
  // `now` comes from the workflow clock, not from a client: a bad one is a bug, not a 400.
  if (normalized === null) throw new RangeError(`now must be an ISO 8601 instant with a UTC offset, got ${JSON.stringify(now)}`);
  return instantMillis(normalized);
}

function requireDueDate(dueDate: string, what: string): string {
  const normalized = normalizeInstant(dueDate);
  if (normalized === null) fail(`${what} must be an ISO 8601 instant with a UTC offset, e.g. 2024-01-31T00:00:00Z; got ${JSON.stringify(dueDate)}`, 'invalid_due_date');
  return normalized;
}

/** Millis of a stored due date, which may be in any ISO form with an offset. */
function dueMillis(i: PlanInstalment): number {
  const normalized = normalizeInstant(i.dueDate);
  if (normalized === null) throw new RangeError(`instalment ${i.number} has an invalid due date ${JSON.stringify(i.dueDate)}`);
  return instantMillis(normalized);
}

function byDueDate(list: readonly PlanInstalment[]): PlanInstalment[] {
  return list
    .map((i) => ({ i, at: dueMillis(i) }))
    .sort((a, b) => a.at - b.at || a.i.number - b.i.number)
    .map(({ i }) => i);
}

function copyAll(list: readonly PlanInstalment[]): PlanInstalment[] {
  return list.map((i) => ({ ...i }));
}

function findChangeable(list: readonly PlanInstalment[], number: number): PlanInstalment {
  const target = list.find((i) => i.number === number);
  if (!target) fail(`the plan has no instalment ${String(number)}`, 'instalment_not_found');
  if (!isChangeable(target)) fail(`instalment ${number} is ${target.status}: only scheduled instalments can change`, 'instalment_not_editable');
  return target;
}

function requireAmount(amount: unknown): number {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 1) {
    fail(`amount must be an integer number of minor units of at least 1, got ${String(amount)}`, 'invalid_amount');
  }
  return amount;
}

/**
 * Adds `delta` (positive or negative) to the other scheduled instalments, in proportion to their
 * amounts. The list is updated in place: callers pass their own copies.
 */
function spread(list: PlanInstalment[], excludeNumber: number, delta: number): void {
  if (delta === 0) return;
  const others = list.filter((i) => isChangeable(i) && i.number !== excludeNumber);
  if (others.length === 0) {
    fail('no other scheduled instalment is left to take the difference and keep the total; pass keep_total=false to change the total', 'nothing_to_rebalance');
  }
  // Amounts are minor units whatever the currency, and the allocation never looks at the currency's
  // exponent, so any supported code will do for dinero.js here.
  const shares = allocateProportionally(money(delta, 'USD'), others.map((i) => i.amount));
  others.forEach((i, k) => {
    const amount = i.amount + shares[k]!.amount;
    if (amount < 1) {
      fail(`keeping the total would bring instalment ${i.number} to ${amount} minor units; pass keep_total=false to change the total instead`, 'total_would_change');
    }
    if (!Number.isSafeInteger(amount)) fail(`keeping the total would make instalment ${i.number} larger than the largest amount supported`, 'invalid_amount');
    i.amount = amount;
  });
}

/** Strictly increasing due dates over the plan, in the given order (so nothing overtook anything). */
function requireOrder(list: readonly PlanInstalment[]): void {
  let previous: PlanInstalment | undefined;
  for (const i of list.filter(inPlan)) {
    if (previous && dueMillis(i) <= dueMillis(previous)) {
      fail(
        `instalment ${i.number} would be due ${i.dueDate}, not after instalment ${previous.number} (${previous.dueDate}): due dates must strictly increase and an instalment cannot move past another`,
        'due_date_order',
      );
    }
    previous = i;
  }
}

/** Non-loan plans: scheduled instalments carry principal = amount and the running remaining principal. */
function recompute(list: PlanInstalment[], hasInterest: boolean): PlanInstalment[] {
  if (hasInterest) return list;
  let after = 0;
  for (let k = list.length - 1; k >= 0; k -= 1) {
    const i = list[k]!;
    if (isChangeable(i)) {
      i.principal = i.amount;
      i.interest = 0;
      i.remainingPrincipal = after;
    }
    if (inPlan(i) && i.status !== 'written_off') after += i.principal;
  }
  return list;
}

// ---- changes ------------------------------------------------------------------------------------

export function editInstalment(instalments: PlanInstalment[], change: EditInstalmentChange, now: string, hasInterest: boolean): PlanInstalment[] {
  const nowMs = requireNow(now);
  const list = copyAll(byDueDate(instalments));
  const target = findChangeable(list, change.number);

  if (change.amount !== undefined && change.amount !== target.amount) {
    if (hasInterest) {
      fail('the amounts of a loan follow its amortisation and cannot be edited; pay early or pay off instead', 'loan_amount_edit');
    }
    const amount = requireAmount(change.amount);
    if (change.keepTotal ?? true) spread(list, target.number, target.amount - amount);
    target.amount = amount;
  }

  if (change.dueDate !== undefined) {
    const dueDate = requireDueDate(change.dueDate, 'due_date');
    if (instantMillis(dueDate) !== dueMillis(target)) {
      if (instantMillis(dueDate) < nowMs) fail(`due_date ${dueDate} is in the past (now is ${now})`, 'due_date_in_past');
      target.dueDate = dueDate;
    }
  }

  requireOrder(list);
  return byDueDate(recompute(list, hasInterest));
}

export function deleteInstalment(instalments: PlanInstalment[], change: { number: number; keepTotal?: boolean }, now: string, hasInterest: boolean): PlanInstalment[] {
  requireNow(now);
  const list = copyAll(byDueDate(instalments));
  const target = findChangeable(list, change.number);
  if (hasInterest) {
    fail('the instalments of a loan follow its amortisation and cannot be deleted; pay early or pay off instead', 'loan_amount_edit');
  }
  const rest = list.filter((i) => i !== target);
  if (change.keepTotal ?? true) {
    spread(rest, target.number, target.amount);
  } else if (!rest.some(inPlan)) {
    fail(`instalment ${target.number} is the last one of the plan; cancel the plan instead`, 'plan_would_be_empty');
  }
  requireOrder(rest);
  return byDueDate(recompute(rest, hasInterest));
}

/** Moves every scheduled instalment: the first scheduled one to `firstDueDate`, later ones keep their offsets from it (same calendar shift in timeZone, e.g. +1 month keeps month ends clamped via luxon). */
export function reschedule(instalments: PlanInstalment[], change: { firstDueDate: string }, now: string, timeZone: string): PlanInstalment[] {
  const nowMs = requireNow(now);
  if (!IANAZone.isValidZone(timeZone)) throw new RangeError(`timeZone must be an IANA time zone, got ${JSON.stringify(timeZone)}`);
  const firstDueDate = requireDueDate(change.firstDueDate, 'first_due_date');
  const list = copyAll(byDueDate(instalments));
  const moving = list.filter(isChangeable);
  const first = moving[0];
  if (!first) fail('no scheduled instalment is left to reschedule', 'nothing_to_reschedule');
  if (instantMillis(firstDueDate) < nowMs) fail(`first_due_date ${firstDueDate} is in the past (now is ${now})`, 'due_date_in_past');

  const from = DateTime.fromMillis(dueMillis(first), { zone: timeZone });
  const to = DateTime.fromMillis(instantMillis(firstDueDate), { zone: timeZone });
  // A calendar shift, not a number of milliseconds: months and days move local dates, so month ends
  // clamp and local times survive DST, as the billing calendar does.
  const shift = to.diff(from, ['months', 'days', 'milliseconds']);
  for (const i of moving) {
    if (i === first) {
      i.dueDate = firstDueDate;
      continue;
    }
    const moved = DateTime.fromMillis(dueMillis(i), { zone: timeZone }).plus(shift).toUTC();
    const iso = moved.isValid ? moved.toISO() : null;
    if (iso === null) fail(`instalment ${i.number} would move outside the supported date range`, 'invalid_due_date');
    if (moved.toMillis() < nowMs) fail(`instalment ${i.number} would move to ${iso}, in the past (now is ${now})`, 'due_date_in_past');
    i.dueDate = iso;
  }
  requireOrder(list);
  return byDueDate(list);
}

// ---- reading ------------------------------------------------------------------------------------

/** What paying off the plan now costs: remaining principal of scheduled instalments (interest not yet due is waived). */
export function payoffAmount(instalments: PlanInstalment[]): number {
  // Invoiced and failed instalments are settled through their own open invoices, not the payoff.
  return instalments.filter(isChangeable).reduce((sum, i) => sum + i.principal, 0);
}

export interface PlanBalances {
  /** Sum of the amounts of every instalment not canceled. */
  total: number;
  paidAmount: number;
  paymentCount: number;
  /** total − paidAmount − writtenOffAmount: what the customer still owes. */
  remainingBalance: number;
  /** Principal of instalments neither paid, canceled nor written off. */
  remainingPrincipal: number;
  /** Due date of the earliest instalment still owed (scheduled, invoiced or failed), or null. */
  nextPaymentDate: string | null;
  /** Amounts given up on (status written_off); part of the total, no longer owed. */
  writtenOffAmount: number;
}

export function planBalances(instalments: PlanInstalment[]): PlanBalances {
  const list = byDueDate(instalments);
  const sumOf = (items: PlanInstalment[], field: 'amount' | 'principal') => items.reduce((sum, i) => sum + i[field], 0);
  const paid = list.filter((i) => i.status === 'paid');
  const total = sumOf(list.filter(inPlan), 'amount');
  const paidAmount = sumOf(paid, 'amount');
  const writtenOffAmount = sumOf(list.filter((i) => i.status === 'written_off'), 'amount');
  const stillOwed = list.filter(owed);
  return {
    total,
    paidAmount,
    paymentCount: paid.length,
    remainingBalance: total - paidAmount - writtenOffAmount,
    remainingPrincipal: sumOf(stillOwed, 'principal'),
    nextPaymentDate: stillOwed[0]?.dueDate ?? null,
    writtenOffAmount,
  };
}
