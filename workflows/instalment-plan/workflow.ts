/**
 * One instalment plan, from its first payment to a zero balance: for each instalment, remind the
 * account manager (and the customer, if asked) a few days before it is due, then invoice it on the
 * due date and hand the invoice to its collection workflow, which charges or emails it and runs the
 * dunning policy. Each payment it reports advances the plan; a payment that fails for good is handled
 * as the plan says (keep going, pause, or cancel with the rest overdue). Changes arrive as updates,
 * validated before they reach history (plan-state.ts).
 */
import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import { recordActivities } from '../shared/activity-proxies';
import { DAY_MS, nowIso } from '../shared/clock';
import type { InstalmentPlanView, InstalmentPlanWorkflowInput } from './contract';
import { RunLength } from '../shared/run-length';
import { InstalmentPlanEntity } from './plan-state';
import { isSettled, hasOpenInvoice } from './rules';

/** Start a fresh run after this many invoiced instalments, whatever the history size. */
export const INSTALMENTS_PER_RUN = 24;

export async function instalmentPlanWorkflow(input: InstalmentPlanWorkflowInput): Promise<InstalmentPlanView> {
  const runLength = new RunLength(input.historyEventsPerRun, () => plan.updates.appliedCount);
  const plan = new InstalmentPlanEntity(input);
  plan.registerHandlers();
  const { state, recorded } = plan;
  const { settings } = input;
  const untilChanged = Number.POSITIVE_INFINITY;
  /** Sleeps until `at` or a change; a long history (updates, outcomes) wakes it to hand over. */
  const sleepUntil = (at: number): Promise<boolean> => recorded.sleepUntil(at, runLength.due);
  /** The schedule travels in carriedState; the original one is not needed twice. */
  const continueInNewRun = (): Promise<never> => continueAsNew<typeof instalmentPlanWorkflow>({ ...input, instalments: [], carriedState: state, carriedUpdateIds: plan.updates.carry() });

  let invoicedThisRun = 0;
  for (;;) {
    await recorded.recordUntilCaughtUp();
    if (runLength.due()) {
      // A safe point: every change is written; the handlers in flight answer before the hand-over.
      await recorded.finishHandlers();
      return continueInNewRun();
    }

    if (state.status !== 'canceled' && state.status !== 'completed' && state.instalments.every(isSettled)) {
      state.status = 'completed';
      state.completedAt = nowIso();
      plan.changed();
      continue;
    }
    if (state.status === 'completed' || state.status === 'canceled') {
      // A closed plan still follows its open invoices: their payments change its balance.
      if (!state.instalments.some(hasOpenInvoice)) break;
      await sleepUntil(untilChanged);
      continue;
    }
    if (state.status === 'paused') {
      await sleepUntil(untilChanged);
      continue;
    }

    const early = state.instalments.find((i) => state.invoiceNow.includes(i.number) && i.status === 'scheduled');
    const next = early ?? state.instalments.find((i) => i.status === 'scheduled');
    if (!next) {
      // Everything is invoiced: wait for the outcomes.
      await sleepUntil(untilChanged);
      continue;
    }
    const dueAt = early ? Date.now() : Date.parse(next.dueDate);

    if (settings.reminderDaysBefore > 0 && !early && state.reminded[next.number] !== next.dueDate && Date.now() < dueAt) {
      if (!(await sleepUntil(dueAt - settings.reminderDaysBefore * DAY_MS))) continue;
      await recordActivities.sendInstalmentReminder({ planId: input.planId, number: next.number, dueDate: next.dueDate, amount: next.amount, remindedAt: nowIso() });
      state.reminded = { ...state.reminded, [next.number]: next.dueDate };
      plan.changed();
      continue;
    }
    if (!(await sleepUntil(dueAt))) continue;

    await plan.invoice(next);
    invoicedThisRun += 1;
    if (invoicedThisRun >= INSTALMENTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await recorded.recordUntilCaughtUp();
      await condition(allHandlersFinished);
      return continueInNewRun();
    }
  }

  await condition(allHandlersFinished);
  return plan.view();
}
