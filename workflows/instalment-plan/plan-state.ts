/**
 * One instalment plan's state and the handlers that change or show it (updates, the query, the
 * collection outcomes), in the shape of Temporal's safe-message-handlers sample: the workflow function
 * (workflow.ts) creates it, registers its handlers and runs the schedule against it.
 */
import { log, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { planBalances, type PlanInstalment } from '../../domain/instalment-changes';
import { recordActivities } from '../shared/activity-proxies';
import { nowIso } from '../shared/clock';
import { RecordedState } from '../shared/recorded-state';
import { UpdateLedger } from '../shared/update-ledger';
import { setRecordedUpdate, type RecordedUpdates } from '../shared/recorded-update';
import { BillingStatusAttribute, NextBillingDateAttribute } from '../shared/search-attributes';
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
import { asRuleFailure, cancelRule, deleteRule, editRule, pauseRule, payEarlyRule, payOffRule, rescheduleRule, resumeRule } from './rules';

export class InstalmentPlanEntity {
  readonly state: InstalmentPlanState;
  readonly recorded = new RecordedState(() => this.recordState());
  /** Update ids applied lately, carried across continue-as-new: a retried id is answered, not applied twice. */
  readonly updates: UpdateLedger;
  /**
   * Each instalment as last written, so a write carries only what changed: a long schedule written
   * whole at every step would grow the history by its full size each time. Empty at the start of a
   * run, so a run's first write carries the whole schedule once.
   */
  private readonly written = new Map<number, string>();

  constructor(readonly input: InstalmentPlanWorkflowInput) {
    this.updates = new UpdateLedger(input.carriedUpdateIds);
    this.state = input.carriedState ?? {
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
  }

  changed(): void {
    this.recorded.changed();
  }

  readonly view = (): InstalmentPlanView => ({ planId: this.input.planId, ...this.state, balances: planBalances(this.state.instalments) });

  private closeRest(status: 'canceled' | 'overdue'): void {
    const { state } = this;
    state.instalments = state.instalments.map((i) => (i.status === 'scheduled' && i.number !== state.invoicing ? { ...i, status } : i));
    state.invoiceNow = [];
  }

  private cancel(reason: string): void {
    this.state.status = 'canceled';
    this.state.canceledAt = nowIso();
    this.state.cancellationReason = reason;
  }

  registerHandlers(): void {
    const { state } = this;
    const { settings } = this.input;
    const on: RecordedUpdates<InstalmentPlanView> = { recorded: this.recorded, updates: this.updates, view: this.view, asRuleFailure };
    setHandler(getInstalmentPlanQuery, this.view);
    setHandler(waitUntilPlanRecordedUpdate, () => this.recorded.whenRecorded(this.view));
    setRecordedUpdate(
      on,
      editInstalmentUpdate,
      (request) => void editRule(state, settings, request, nowIso()),
      (request) => {
        state.instalments = editRule(state, settings, request, nowIso());
      },
    );
    setRecordedUpdate(
      on,
      deleteInstalmentUpdate,
      (request) => void deleteRule(state, settings, request, nowIso()),
      (request) => {
        state.instalments = deleteRule(state, settings, request, nowIso());
      },
    );
    setRecordedUpdate(
      on,
      rescheduleUpdate,
      (request) => void rescheduleRule(state, settings, request, nowIso()),
      (request) => {
        state.instalments = rescheduleRule(state, settings, request, nowIso());
      },
    );
    setRecordedUpdate(
      on,
      payEarlyUpdate,
      (request) => void payEarlyRule(state, request),
      (request) => {
        state.invoiceNow = [...state.invoiceNow, payEarlyRule(state, request)];
      },
    );
    setRecordedUpdate(
      on,
      payOffUpdate,
      () => void payOffRule(state, nowIso()),
      () => {
        state.instalments = payOffRule(state, nowIso());
        const payoff = state.instalments[state.instalments.length - 1]!;
        state.invoiceNow = [...state.invoiceNow, payoff.number];
      },
    );
    setRecordedUpdate(
      on,
      cancelPlanUpdate,
      (request) => cancelRule(state, request),
      (request) => {
        this.closeRest('canceled');
        this.cancel(request.reason ?? 'requested');
      },
    );
    setRecordedUpdate(
      on,
      pausePlanUpdate,
      () => pauseRule(state),
      () => {
        state.status = 'paused';
        state.pausedAt = nowIso();
      },
    );
    setRecordedUpdate(
      on,
      resumePlanUpdate,
      () => resumeRule(state),
      () => {
        // Instalments that fell due while paused are invoiced straight away.
        state.status = 'active';
        state.pausedAt = null;
      },
    );
    setHandler(invoiceCollectionOutcomeSignal, (report: InvoiceCollectionOutcome) => this.collectionOutcome(report));
  }

  /**
   * What each instalment's collection workflow reports. A payment advances the plan; dunning giving
   * up is handled as the plan says; a void means the instalment is no longer owed, a write-off that
   * it will not be collected (a later payment still counts).
   */
  private collectionOutcome(report: InvoiceCollectionOutcome): void {
    const { state } = this;
    const { settings } = this.input;
    const instalment = state.instalments.find((i) => i.invoiceId === report.invoiceId);
    if (!instalment) {
      log.warn(`ignored outcome ${report.outcome} for invoice ${report.invoiceId}: not an instalment of this plan`);
      return;
    }
    const update = (status: PlanInstalment['status'], paidAt: string | null = null): void => {
      state.instalments = state.instalments.map((i) => (i === instalment ? { ...i, status, paidAt } : i));
      this.changed();
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
          this.closeRest('overdue');
          this.cancel('instalment_failed');
        }
        break;
      case 'payment_failed':
        // Dunning is retrying; the plan waits for its final word.
        break;
    }
  }

  private async recordState(): Promise<void> {
    const { state, written } = this;
    const balances = planBalances(state.instalments);
    const changedInstalments = state.instalments.filter((i) => written.get(i.number) !== JSON.stringify(i));
    await recordActivities.recordInstalmentPlanState({
      planId: this.input.planId,
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
  }

  /** Invoices the instalment and hands the invoice to its collection workflow. */
  async invoice(instalment: PlanInstalment): Promise<void> {
    const { state, input } = this;
    // From here on the instalment cannot be edited, moved or deleted: its invoice is being made.
    state.invoicing = instalment.number;
    const invoiceSummary = await recordActivities.createInstalmentInvoice({
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
    this.changed();
    await recordActivities.startInvoiceCollection({
      invoiceId: invoiceSummary.invoiceId,
      customerId: input.customerId,
      collectionMethod: input.settings.collectionMethod,
      ownerWorkflowId: workflowInfo().workflowId,
      dunningPolicy: input.dunningPolicy,
      reportEveryOutcome: true,
    });
  }
}
