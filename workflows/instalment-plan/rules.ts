/**
 * What may be done to a running instalment plan, and what each change does to its state. Pure: the
 * workflow's update validators run the same function its handlers apply, so a change that cannot
 * apply is rejected before it reaches history and the API answers with the reason. The schedule
 * arithmetic itself (keeping the total, spreading differences, due-date order) is domain/instalment-changes.ts.
 */
import { RuleViolation } from '../../domain/rule-violation';
import {
  deleteInstalment,
  editInstalment,
  payoffAmount,
  reschedule,
  type PlanInstalment,
} from '../../domain/instalment-changes';
import { RULE_FAILURE_TYPES, failingAs } from '../shared/rule-failure';
import type {
  CancelPlanRequest,
  DeleteInstalmentRequest,
  EditInstalmentRequest,
  InstalmentPlanSettings,
  InstalmentPlanState,
  PayEarlyRequest,
  RescheduleRequest,
} from './contract';

/** The failure type a broken plan rule reaches the caller as (workflows/shared/rule-failure.ts). */
export const INSTALMENT_RULE_FAILURE = RULE_FAILURE_TYPES.instalmentPlan;

/** Runs a rule; a broken rule becomes the failure Temporal returns to the caller of the update. */
export const asRuleFailure = <T>(rule: () => T): T => failingAs(INSTALMENT_RULE_FAILURE, rule);

/** Instalments whose invoice is still open: their payment can still change the plan. */
export const hasOpenInvoice = (i: PlanInstalment): boolean => i.status === 'invoiced' || i.status === 'failed';

/** Every instalment settled one way or another: paid, written off, or no longer owed. */
export const isSettled = (i: PlanInstalment): boolean => i.status === 'paid' || i.status === 'written_off' || i.status === 'canceled';

function requireOpen(state: InstalmentPlanState): void {
  if (state.status === 'completed' || state.status === 'canceled') {
    throw new RuleViolation('plan_closed', `the plan is ${state.status}`);
  }
}

function scheduled(state: InstalmentPlanState): PlanInstalment[] {
  return state.instalments.filter((i) => i.status === 'scheduled');
}

export function editRule(state: InstalmentPlanState, settings: InstalmentPlanSettings, request: EditInstalmentRequest, now: string): PlanInstalment[] {
  requireOpen(state);
  if (request.amount === undefined && request.dueDate === undefined) {
    throw new RuleViolation('nothing_to_change', 'give a new amount, a new due date, or both');
  }
  requireNotInvoicingNow(state, request.number);
  return editInstalment(state.instalments, request, now, settings.hasInterest);
}

export function deleteRule(state: InstalmentPlanState, settings: InstalmentPlanSettings, request: DeleteInstalmentRequest, now: string): PlanInstalment[] {
  requireOpen(state);
  requireNotInvoicingNow(state, request.number);
  const rest = deleteInstalment(state.instalments, request, now, settings.hasInterest);
  // The schedule keeps the deleted instalment as canceled, so the plan's history shows what was removed.
  const deleted = state.instalments.find((i) => i.number === request.number)!;
  return [...rest, { ...deleted, status: 'canceled' as const, remainingPrincipal: 0 }].sort(
    (a, b) => Date.parse(a.dueDate) - Date.parse(b.dueDate) || a.number - b.number,
  );
}

export function rescheduleRule(state: InstalmentPlanState, settings: InstalmentPlanSettings, request: RescheduleRequest, now: string): PlanInstalment[] {
  requireOpen(state);
  if (scheduled(state).length === 0) throw new RuleViolation('nothing_scheduled', 'no instalment is left to reschedule');
  if (state.invoiceNow.length > 0 || state.invoicing !== null) throw new RuleViolation('invoicing_in_progress', 'an instalment is being invoiced early; try again once it is');
  return reschedule(state.instalments, request, now, settings.timeZone);
}

/** The instalment a pay-early request means: the one named, or the next scheduled one. */
export function payEarlyRule(state: InstalmentPlanState, request: PayEarlyRequest): number {
  requireOpen(state);
  if (state.status === 'paused') throw new RuleViolation('plan_paused', 'the plan is paused; resume it first');
  const candidates = scheduled(state).filter((i) => !state.invoiceNow.includes(i.number) && i.number !== state.invoicing);
  const target = request.number === undefined ? candidates[0] : state.instalments.find((i) => i.number === request.number);
  if (!target) {
    throw request.number === undefined
      ? new RuleViolation('nothing_scheduled', 'no instalment is left to pay early')
      : new RuleViolation('instalment_not_found', `the plan has no instalment ${request.number}`);
  }
  if (target.status !== 'scheduled') throw new RuleViolation('instalment_not_editable', `instalment ${target.number} is already ${target.status}`);
  if (state.invoiceNow.includes(target.number) || state.invoicing === target.number) throw new RuleViolation('instalment_not_editable', `instalment ${target.number} is already being invoiced`);
  return target.number;
}

/**
 * Paying off replaces every scheduled instalment by one payoff instalment due now, for the principal
 * still owed: interest that is not yet due is waived. Invoiced instalments stay as they are.
 */
export function payOffRule(state: InstalmentPlanState, now: string): PlanInstalment[] {
  requireOpen(state);
  if (state.status === 'paused') throw new RuleViolation('plan_paused', 'the plan is paused; resume it first');
  const rest = scheduled(state).filter((i) => !state.invoiceNow.includes(i.number) && i.number !== state.invoicing);
  if (rest.length === 0) throw new RuleViolation('nothing_scheduled', 'no instalment is left to pay off');
  const amount = payoffAmount(state.instalments.filter((i) => rest.includes(i)));
  const number = Math.max(...state.instalments.map((i) => i.number)) + 1;
  const payoff: PlanInstalment = {
    number,
    kind: 'payoff',
    dueDate: now,
    amount,
    principal: amount,
    interest: 0,
    remainingPrincipal: 0,
    status: 'scheduled',
    invoiceId: null,
  };
  return [...state.instalments.map((i) => (rest.includes(i) ? { ...i, status: 'canceled' as const, remainingPrincipal: 0 } : i)), payoff];
}

export function cancelRule(state: InstalmentPlanState, request: CancelPlanRequest): void {
  requireOpen(state);
  if (request.reason !== undefined && request.reason.length > 500) throw new RuleViolation('reason_too_long', 'reason is longer than 500 characters');
}

export function pauseRule(state: InstalmentPlanState): void {
  requireOpen(state);
  if (state.status === 'paused') throw new RuleViolation('plan_paused', 'the plan is already paused');
}

export function resumeRule(state: InstalmentPlanState): void {
  if (state.status !== 'paused') throw new RuleViolation('plan_not_paused', `only a paused plan can be resumed (status is ${state.status})`);
}

function requireNotInvoicingNow(state: InstalmentPlanState, number: number): void {
  if (state.invoiceNow.includes(number) || state.invoicing === number) {
    throw new RuleViolation('instalment_not_editable', `instalment ${number} is being invoiced now and can no longer change`);
  }
}
