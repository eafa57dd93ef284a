/**
 * One instalment plan, from its first payment to a zero balance: for each instalment, remind the
 * account manager (and the customer, if asked) a few days before it is due, then invoice it on the
 * due date and hand the invoice to its collection workflow, which charges or emails it and runs the
 * dunning policy. Each payment it reports advances the plan; a payment that fails for good is handled
 * as the plan says (keep going, pause, or cancel with the rest overdue). Changes arrive as updates,
 * validated before they reach history.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { BillingActivities } from '../../activities';
import { planBalances, type PlanInstalment } from '../../domain/instalment-changes';
import { BillingStatusAttribute, NextBillingDateAttribute } from '../shared/search-attributes';
import { RECORD_ACTIVITY_OPTIONS } from '../shared/activity-options';
import { invoiceCollectionOutcomeSignal, type InvoiceCollectionOutcome } from '../invoice-collection/contract';
import {
  cancelPlanUpdate,
  deleteInstalmentUpdate,
  editInstalmentUpdate,
  getInstalmentPlanQuery,
  payEarlyUpdate,
  payOffUpdate,
  pausePlanUpdate,
  rescheduleUpdate,
  resumePlanUpdate,
  waitUntilPlanRecordedUpdate,
  type InstalmentPlanState,
  type InstalmentPlanView,
  type InstalmentPlanWorkflowInput,
} from './contract';
import {
  asRuleFailure,
  cancelRule,
  deleteRule,
  editRule,
  hasOpenInvoice,
  isSettled,
  pauseRule,
  payEarlyRule,
  payOffRule,
  rescheduleRule,
  resumeRule,
} from './rules';

/** Start a fresh run after this many invoiced instalments, whatever the history size. */
export const INSTALMENTS_PER_RUN = 24;

const DAY_MS = 24 * 60 * 60 * 1000;

const records = proxyActivities<BillingActivities>(RECORD_ACTIVITY_OPTIONS);

const nowIso = (): string => new Date(Date.now()).toISOString();

export async function instalmentPlanWorkflow(input: InstalmentPlanWorkflowInput): Promise<InstalmentPlanView> {
  const { settings } = input;
  const state: InstalmentPlanState = input.carriedState ?? {
    status: 'active',
    instalments: input.instalments,
    reminded: {},
    invoiceNow: [],
    invoicing: null,
    pausedAt: null,
    canceledAt: null,
    completedAt: null,
    cancellationReason: null,
  };

  // `version` counts state changes; `recordedVersion` is the last one written to the database.
  let version = 1;
  let recordedVersion = 0;
  const changed = (): void => {
    version += 1;
  };

  const view = (): InstalmentPlanView => ({ planId: input.planId, ...state, balances: planBalances(state.instalments) });

  /** Updates answer once their change is in the database, so the caller's next read sees it. */
  const answerWhenRecorded = async (): Promise<InstalmentPlanView> => {
    const target = version;
    await condition(() => recordedVersion >= target);
    return view();
  };

  /** An update whose rule the validator checks (so a refusal never reaches history) and the handler applies. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's own constraint on update arguments
  function setPlanUpdate<Args extends any[]>(
    definition: UpdateDefinition<InstalmentPlanView, Args>,
    check: (...args: Args) => void,
    apply: (...args: Args) => void,
  ): void {
    setHandler<InstalmentPlanView, Args, UpdateDefinition<InstalmentPlanView, Args>>(
      definition,
      async (...args: Args) => {
        apply(...args);
        changed();
        return answerWhenRecorded();
      },
      { validator: (...args: Args) => asRuleFailure(() => check(...args)) },
    );
  }

  const closeRest = (status: 'canceled' | 'overdue'): void => {
    state.instalments = state.instalments.map((i) => (i.status === 'scheduled' && i.number !== state.invoicing ? { ...i, status } : i));
    state.invoiceNow = [];
  };

  const cancel = (reason: string): void => {
    state.status = 'canceled';
    state.canceledAt = nowIso();
    state.cancellationReason = reason;
  };

  setHandler(getInstalmentPlanQuery, view);
  setHandler(waitUntilPlanRecordedUpdate, answerWhenRecorded);
  setPlanUpdate(
    editInstalmentUpdate,
    (request) => void editRule(state, settings, request, nowIso()),
    (request) => {
      state.instalments = editRule(state, settings, request, nowIso());
    },
  );
  setPlanUpdate(
    deleteInstalmentUpdate,
    (request) => void deleteRule(state, settings, request, nowIso()),
    (request) => {
      state.instalments = deleteRule(state, settings, request, nowIso());
    },
  );
  setPlanUpdate(
    rescheduleUpdate,
    (request) => void rescheduleRule(state, settings, request, nowIso()),
    (request) => {
      state.instalments = rescheduleRule(state, settings, request, nowIso());
    },
  );
  setPlanUpdate(
    payEarlyUpdate,
    (request) => void payEarlyRule(state, request),
    (request) => {
      state.invoiceNow = [...state.invoiceNow, payEarlyRule(state, request)];
    },
  );
  setPlanUpdate(
    payOffUpdate,
    () => void payOffRule(state, nowIso()),
    () => {
      state.instalments = payOffRule(state, nowIso());
      const payoff = state.instalments[state.instalments.length - 1]!;
      state.invoiceNow = [...state.invoiceNow, payoff.number];
    },
  );
  setPlanUpdate(
    cancelPlanUpdate,
    (request) => cancelRule(state, request),
    (request) => {
      closeRest('canceled');
      cancel(request.reason ?? 'requested');
    },
  );
  setPlanUpdate(
    pausePlanUpdate,
    () => pauseRule(state),
    () => {
      state.status = 'paused';
      state.pausedAt = nowIso();
    },
  );
  setPlanUpdate(
    resumePlanUpdate,
    () => resumeRule(state),
    () => {
      // Instalments that fell due while paused are invoiced straight away.
      state.status = 'active';
      state.pausedAt = null;
    },
  );

  /**
   * What each instalment's collection workflow reports. A payment advances the plan; dunning giving
   * up is handled as the plan says; a void means the instalment is no longer owed, a write-off that
   * it will not be collected (a later payment still counts).
   */
  setHandler(invoiceCollectionOutcomeSignal, (report: InvoiceCollectionOutcome) => {
    const instalment = state.instalments.find((i) => i.invoiceId === report.invoiceId);
    if (!instalment) {
      log.warn(`ignored outcome ${report.outcome} for invoice ${report.invoiceId}: not an instalment of this plan`);
      return;
    }
    const update = (status: PlanInstalment['status'], paidAt: string | null = null): void => {
      state.instalments = state.instalments.map((i) => (i === instalment ? { ...i, status, paidAt } : i));
      changed();
    };
    switch (report.outcome) {
      case 'paid':
        if (instalment.status !== 'paid') update('paid', nowIso());
        break;
      case 'void':
        if (instalment.status !== 'canceled') update('canceled');
        break;
      case 'uncollectible':
        if (instalment.status === 'invoiced' || instalment.status === 'failed') update('written_off');
        break;
      case 'failed':
        if (instalment.status !== 'invoiced') break;
        update('failed');
        if (settings.onPermanentFailure === 'pause' && state.status === 'active') {
          state.status = 'paused';
          state.pausedAt = nowIso();
        } else if (settings.onPermanentFailure === 'cancel' && (state.status === 'active' || state.status === 'paused')) {
          closeRest('overdue');
          cancel('instalment_failed');
        }
        break;
      case 'payment_failed':
        // Dunning is retrying; the plan waits for its final word.
        break;
    }
  });

  /**
   * Each instalment as last written, so a write carries only what changed: a long schedule written
   * whole at every step would grow the history by its full size each time. Empty at the start of a
   * run, so a run's first write carries the whole schedule once.
   */
  const written = new Map<number, string>();

  async function recordState(): Promise<void> {
    const target = version;
    const balances = planBalances(state.instalments);
    const changedInstalments = state.instalments.filter((i) => written.get(i.number) !== JSON.stringify(i));
    await records.recordInstalmentPlanState({
      planId: input.planId,
      status: state.status,
      instalments: changedInstalments,
      balances,
      interestTotal: state.instalments.filter((i) => i.status !== 'canceled').reduce((sum, i) => sum + i.interest, 0),
      cancellationReason: state.cancellationReason,
      canceledAt: state.canceledAt,
      completedAt: state.completedAt,
    });
    for (const i of changedInstalments) written.set(i.number, JSON.stringify(i));
    upsertSearchAttributes([
      { key: BillingStatusAttribute, value: state.status },
      { key: NextBillingDateAttribute, value: balances.nextPaymentDate === null ? null : new Date(balances.nextPaymentDate) },
    ]);
    recordedVersion = Math.max(recordedVersion, target);
  }

  /** Sleeps until `at` unless a change (update or outcome) comes first; true when the time came. */
  async function sleepUntil(at: number): Promise<boolean> {
    const seen = version;
    if (at === Number.POSITIVE_INFINITY) {
      await condition(() => version !== seen);
      return false;
    }
    const wait = at - Date.now();
    if (wait <= 0) return true;
    return !(await condition(() => version !== seen, wait));
  }

  async function invoice(instalment: PlanInstalment): Promise<void> {
    // From here on the instalment cannot be edited, moved or deleted: its invoice is being made.
    state.invoicing = instalment.number;
    const invoiceSummary = await records.createInstalmentInvoice({
      planId: input.planId,
      instalment: {
        number: instalment.number,
        kind: instalment.kind,
        dueDate: instalment.dueDate,
        amount: instalment.amount,
        principal: instalment.principal,
        interest: instalment.interest,
      },
      issuedAt: nowIso(),
    });
    state.instalments = state.instalments.map((i) =>
      i.number === instalment.number ? { ...i, status: 'invoiced' as const, invoiceId: invoiceSummary.invoiceId } : i,
    );
    state.invoiceNow = state.invoiceNow.filter((n) => n !== instalment.number);
    state.invoicing = null;
    changed();
    await records.startInvoiceCollection({
      invoiceId: invoiceSummary.invoiceId,
      customerId: input.customerId,
      collectionMethod: settings.collectionMethod,
      ownerWorkflowId: workflowInfo().workflowId,
      dunningPolicy: input.dunningPolicy,
      reportEveryOutcome: true,
    });
  }

  let invoicedThisRun = 0;
  for (;;) {
    // A change that lands while the state is being written needs another write.
    while (recordedVersion < version) await recordState();

    if (state.status !== 'canceled' && state.status !== 'completed' && state.instalments.every(isSettled)) {
      state.status = 'completed';
      state.completedAt = nowIso();
      changed();
      continue;
    }
    if (state.status === 'completed' || state.status === 'canceled') {
      // A closed plan still follows its open invoices: their payments change its balance.
      if (!state.instalments.some(hasOpenInvoice)) break;
      await sleepUntil(Number.POSITIVE_INFINITY);
      continue;
    }
    if (state.status === 'paused') {
      await sleepUntil(Number.POSITIVE_INFINITY);
      continue;
    }

    const early = state.instalments.find((i) => state.invoiceNow.includes(i.number) && i.status === 'scheduled');
    const next = early ?? state.instalments.find((i) => i.status === 'scheduled');
    if (!next) {
      // Everything is invoiced: wait for the outcomes.
      await sleepUntil(Number.POSITIVE_INFINITY);
      continue;
    }
    const dueAt = early ? Date.now() : Date.parse(next.dueDate);

    if (settings.reminderDaysBefore > 0 && !early && state.reminded[next.number] !== next.dueDate && Date.now() < dueAt) {
      if (!(await sleepUntil(dueAt - settings.reminderDaysBefore * DAY_MS))) continue;
      await records.sendInstalmentReminder({ planId: input.planId, number: next.number, dueDate: next.dueDate, amount: next.amount, remindedAt: nowIso() });
      state.reminded = { ...state.reminded, [next.number]: next.dueDate };
      changed();
      continue;
    }
    if (!(await sleepUntil(dueAt))) continue;

    await invoice(next);
    invoicedThisRun += 1;
    if (invoicedThisRun >= INSTALMENTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      while (recordedVersion < version) await recordState();
      await condition(allHandlersFinished);
      // The schedule travels in carriedState; the original one is not needed twice.
      return continueAsNew<typeof instalmentPlanWorkflow>({ ...input, instalments: [], carriedState: state });
    }
  }

  await condition(allHandlersFinished);
  return view();
}
