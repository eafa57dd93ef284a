/**
 * One subscription's state and the handlers that change or show it (signals, updates, queries, the
 * collection outcomes), in the shape of Temporal's safe-message-handlers sample: the workflow function
 * (workflow.ts) creates it, registers its handlers and runs the billing loop against it.
 */
import { condition, log, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { InvoiceSummary } from '../../activities';
import { billingPeriod, firstPeriodStartingAtOrAfter } from '../../domain/calendar';
import { recordActivities } from '../shared/activity-proxies';
import { nowIso } from '../shared/clock';
import { RecordedState } from '../shared/recorded-state';
import { UpdateLedger } from '../shared/update-ledger';
import { RULE_FAILURE_TYPES, failingAs } from '../shared/rule-failure';
import { BillingStatusAttribute, NextBillingDateAttribute } from '../shared/search-attributes';
import { invoiceCollectionOutcomeSignal, type InvoiceCollectionOutcome } from '../invoice-collection/contract';
import {
  cancelSignal,
  cancelUpdate,
  changePlanUpdate,
  getSubscriptionQuery,
  pauseSignal,
  pauseUpdate,
  resumeSignal,
  resumeUpdate,
  undoCancelSignal,
  undoCancelUpdate,
  waitUntilRecordedUpdate,
  type BillingPeriodView,
  type CancelRequest,
  type ChangePlanRequest,
  type PauseRequest,
  type PaymentStanding,
  type SubscriptionState,
  type SubscriptionView,
  type SubscriptionWorkflowInput,
  type TermView,
} from './contract';
import { applyCancel, applyPause, applyResume, applyUndoCancel, checkCancel, checkChangePlan, checkPause, checkResume, checkUndoCancel } from './lifecycle';
import { checkProrationDate } from './legacy';
import { endsTerm, termBounds } from './timeline';

function initialState(input: SubscriptionWorkflowInput): SubscriptionState {
  const now = Date.now();
  const inTrial = input.trialStart !== undefined && Date.parse(input.trialStart) <= now;
  const started = input.stubStart !== undefined && Date.parse(input.stubStart) <= now;
  return {
    status: Date.parse(input.billingAnchor) > now ? (inTrial ? 'trialing' : started ? 'active' : 'scheduled') : 'active',
    nextPeriodIndex: 0,
    currentPeriod: null,
    cancelAtPeriodEnd: false,
    pausedAt: null,
    canceledAt: null,
    statusBeforePause: null,
  };
}

/** Signals cannot answer, so an invalid one is logged and dropped instead of failing the workflow. */
function ignoringInvalid(name: string, check: () => void, apply: () => void): void {
  try {
    check();
  } catch (err) {
    log.warn(`ignored ${name} signal: ${(err as Error).message}`);
    return;
  }
  apply();
}

/**
 * A broken rule as the failure the API reads: its message, and the request field at fault (`param`),
 * which a plain error thrown from a validator or handler would lose on its way to the caller.
 */
const rethrowingRule = (check: () => void): void => failingAs(RULE_FAILURE_TYPES.subscription, check);

export class SubscriptionEntity {
  readonly state: SubscriptionState;
  readonly recorded = new RecordedState(() => this.recordState());
  /** Update ids applied lately, carried across continue-as-new: a retried id is answered, not applied twice. */
  readonly updates: UpdateLedger;
  /** True while a boundary is being billed: a plan change waits for it, so it never lands mid-invoice. */
  billing = false;

  constructor(readonly input: SubscriptionWorkflowInput) {
    this.updates = new UpdateLedger(input.carriedUpdateIds);
    this.state = input.carriedState ?? initialState(input);
  }

  readonly periodAt = (index: number): BillingPeriodView => billingPeriod(this.input.billingAnchor, this.input.timeZone, this.input.interval, index);

  changed(): void {
    this.recorded.changed();
  }

  private expiresAtNextBoundary(): boolean {
    return this.input.commitment?.renewal === 'expire' && endsTerm(this.input, this.state.nextPeriodIndex);
  }

  nextBillingDate(): string | null {
    const { state, input } = this;
    if (state.status === 'canceled' || state.cancelAtPeriodEnd || this.expiresAtNextBoundary()) return null;
    const next = this.periodAt(state.nextPeriodIndex).start;
    // Paused, or pausing before the next boundary: billing picks up at the first boundary of the
    // anchor's calendar after the resume (none without a resume date).
    const pausing = state.scheduledPause && Date.parse(state.scheduledPause.pauseAt) <= Date.parse(next) ? state.scheduledPause : null;
    if (state.status === 'paused' || pausing) {
      const resumeAt = state.status === 'paused' ? state.resumeAt : pausing!.resumeAt;
      if (!resumeAt) return null;
      const index = firstPeriodStartingAtOrAfter(input.billingAnchor, input.timeZone, input.interval, resumeAt);
      return this.periodAt(Math.max(index, state.nextPeriodIndex)).start;
    }
    return next;
  }

  currentTerm(): TermView | null {
    if (!this.input.commitment) return null;
    const index = this.state.termIndex ?? 0;
    return { index, ...termBounds(this.input, this.periodAt, index), renewal: this.input.commitment.renewal };
  }

  readonly view = (): SubscriptionView => ({
    subscriptionId: this.input.subscriptionId,
    ...this.state,
    nextBillingDate: this.nextBillingDate(),
    currentTerm: this.currentTerm(),
  });

  /** Updates answer once their change is in the database, so the caller's next read sees it. */
  readonly answerWhenRecorded = (): Promise<SubscriptionView> => this.recorded.whenRecorded(this.view);

  private pause(request: PauseRequest = {}): void {
    applyPause(this.state, request, nowIso());
    this.changed();
  }
  private undoCancel(): void {
    applyUndoCancel(this.state);
    this.changed();
  }
  private resume(): void {
    applyResume(this.state);
    this.changed();
  }
  private cancel(request: CancelRequest): void {
    applyCancel(this.state, request, nowIso());
    this.changed();
  }

  /**
   * A lifecycle update's change, applied once per update id: a retry of an id applied in an earlier run
   * (update-ledger.ts) is answered with the state as it is.
   */
  private async once(apply: () => void): Promise<SubscriptionView> {
    if (!this.updates.repeated) {
      apply();
      this.updates.applied();
    }
    return this.answerWhenRecorded();
  }

  /** Its validator: a repeated id is answered, never refused by a rule its first attempt changed. */
  private checkOnce(check: () => void): void {
    if (!this.updates.repeated) rethrowingRule(check);
  }

  registerHandlers(): void {
    const { state, input } = this;
    const checkPauseNow = (request: PauseRequest): void => checkPause(state, request, nowIso(), input.billingAnchor);
    setHandler(getSubscriptionQuery, this.view);
    setHandler(waitUntilRecordedUpdate, this.answerWhenRecorded);
    setHandler(pauseSignal, (request: PauseRequest = {}) => ignoringInvalid('pause', () => checkPauseNow(request), () => this.pause(request)));
    setHandler(undoCancelSignal, () => ignoringInvalid('undoCancel', () => checkUndoCancel(state), () => this.undoCancel()));
    setHandler(resumeSignal, () => ignoringInvalid('resume', () => checkResume(state), () => this.resume()));
    setHandler(cancelSignal, (request: CancelRequest) => ignoringInvalid('cancel', () => checkCancel(state, request), () => this.cancel(request)));
    setHandler(pauseUpdate, (request: PauseRequest = {}) => this.once(() => this.pause(request)), {
      validator: (request: PauseRequest = {}) => this.checkOnce(() => checkPauseNow(request)),
    });
    setHandler(undoCancelUpdate, () => this.once(() => this.undoCancel()), { validator: () => this.checkOnce(() => checkUndoCancel(state)) });
    setHandler(resumeUpdate, () => this.once(() => this.resume()), { validator: () => this.checkOnce(() => checkResume(state)) });
    setHandler(cancelUpdate, (request: CancelRequest) => this.once(() => this.cancel(request)), {
      validator: (request: CancelRequest) => this.checkOnce(() => checkCancel(state, request)),
    });
    setHandler(changePlanUpdate, (request: ChangePlanRequest) => this.changePlan(request), {
      validator: (request: ChangePlanRequest) => rethrowingRule(() => checkChangePlan(state, input.interval, request)),
    });
    setHandler(invoiceCollectionOutcomeSignal, (report: InvoiceCollectionOutcome) => this.collectionOutcome(report));
  }

  /**
   * Changes the price or quantity. Now: the proration of the billed period is invoiced, queued for the
   * next invoice or skipped (activities/plan-changes.ts). At period end: recorded, and applied at the
   * boundary before the next period is invoiced.
   */
  private async changePlan(request: ChangePlanRequest): Promise<SubscriptionView> {
    const { state, input } = this;
    const target = {
      changeId: request.changeId,
      subscriptionId: input.subscriptionId,
      itemId: request.itemId,
      priceId: request.priceId,
      unitAmount: request.unitAmount,
      quantity: request.quantity,
      prorationBehavior: request.prorationBehavior,
    };
    if (request.atPeriodEnd) {
      await recordActivities.scheduleSubscriptionPlanChange(target);
      state.scheduledPlanChangeId = request.changeId;
    } else {
      await condition(() => !this.billing);
      const prorating = state.status !== 'scheduled' && state.currentPeriod !== null;
      // Set before the activity runs, so a change arriving meanwhile is checked against this one.
      const recordsDate = prorating && request.prorationBehavior !== 'none';
      const previousDate = state.lastProrationDate ?? null;
      if (prorating) {
        // The boundary may have passed while the change waited (its period is no longer the billed
        // one), or another change was made meanwhile: the validator's answer may be stale.
        rethrowingRule(() => checkProrationDate(state, request));
        if (recordsDate) state.lastProrationDate = request.prorationDate;
      }
      let invoice: InvoiceSummary | null;
      try {
        ({ invoice } = await recordActivities.changeSubscriptionPlan({
          ...target,
          period: prorating ? state.currentPeriod : null,
          prorationDate: prorating ? request.prorationDate : null,
        }));
      } catch (err) {
        // Not made: a later change may again be dated back to the one before (unless another moved it on).
        if (recordsDate && state.lastProrationDate === request.prorationDate) state.lastProrationDate = previousDate;
        throw err;
      }
      state.scheduledPlanChangeId = null;
      if (invoice) await this.startCollection(invoice);
    }
    this.changed();
    return this.answerWhenRecorded();
  }

  /**
   * What the invoice collection workflows report. The subscription is past due while any of its
   * invoices is failing, and active again once every one of them is settled. When dunning gives up,
   * the policy decides: stay past due, become unpaid, or cancel now.
   */
  private collectionOutcome(report: InvoiceCollectionOutcome): void {
    const { state } = this;
    const before = JSON.stringify([state.status, state.statusBeforePause, state.delinquentInvoiceIds ?? []]);
    const delinquent = new Set(state.delinquentInvoiceIds ?? []);
    if (report.outcome === 'payment_failed' || report.outcome === 'failed') delinquent.add(report.invoiceId);
    else delinquent.delete(report.invoiceId);
    state.delinquentInvoiceIds = [...delinquent];

    if (delinquent.size === 0) this.setStanding('active');
    else if (report.outcome === 'failed' && report.subscriptionAfterFailure === 'canceled') {
      if (state.status !== 'canceled') applyCancel(state, { atPeriodEnd: false, reason: 'payment_failed' }, nowIso());
    } else if (report.outcome === 'failed' && report.subscriptionAfterFailure === 'unpaid') this.setStanding('unpaid');
    else if (this.currentStanding() !== 'unpaid') this.setStanding('past_due');
    // Only a real change is written (a repeated report must not cost a database write).
    if (JSON.stringify([state.status, state.statusBeforePause, state.delinquentInvoiceIds]) !== before) this.changed();
  }

  /** A payment outcome sets the standing; a pause or cancel that arrived meanwhile still wins. */
  readonly setStanding = (standing: PaymentStanding): void => {
    const { state } = this;
    if (state.status === 'paused') state.statusBeforePause = standing;
    else if (state.status !== 'canceled' && state.status !== 'scheduled' && state.status !== 'trialing') state.status = standing;
  };

  private currentStanding(): PaymentStanding | null {
    const { state } = this;
    if (state.status === 'paused') return state.statusBeforePause;
    return state.status === 'active' || state.status === 'past_due' || state.status === 'unpaid' ? state.status : null;
  }

  /**
   * Hands the invoice to its own collection workflow (`invoice-<id>`), started by an activity rather
   * than as a child: it outlives this run (continue-as-new, cancel) and reports back by signal.
   */
  async startCollection(invoice: InvoiceSummary, { firstPeriod = false } = {}): Promise<void> {
    await recordActivities.startInvoiceCollection({
      invoiceId: invoice.invoiceId,
      customerId: this.input.customerId,
      collectionMethod: invoice.collectionMethod === 'send_invoice' ? 'send_invoice' : 'charge_automatically',
      ownerWorkflowId: workflowInfo().workflowId,
      dunningPolicy: this.input.dunningPolicy,
      ...(firstPeriod && this.input.firstChargeAtCheckout ? { customerNotices: false } : {}),
    });
  }

  private async recordState(): Promise<void> {
    const { state } = this;
    await recordActivities.recordSubscriptionState({
      subscriptionId: this.input.subscriptionId,
      status: state.status,
      currentPeriod: state.currentPeriod,
      nextBillingDate: this.nextBillingDate(),
      cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      pausedAt: state.pausedAt,
      canceledAt: state.canceledAt,
      cancellationReason: state.cancellationReason ?? null,
      scheduledPause: state.scheduledPause ?? null,
      resumeAt: state.resumeAt ?? null,
      currentTerm: this.currentTerm(),
      scheduledPlanChangeId: state.scheduledPlanChangeId ?? null,
    });
    const next = this.nextBillingDate();
    upsertSearchAttributes([
      { key: BillingStatusAttribute, value: state.status },
      { key: NextBillingDateAttribute, value: next === null ? null : new Date(next) },
    ]);
  }
}
