/**
 * One subscription, for its whole life: wait for each period boundary, then invoice the period,
 * collect payment and tell the customer. Pause, resume and cancel arrive as signals (operators) or
 * updates (API); the loop re-evaluates whenever they change the state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { BillingActivities, InvoiceSummary } from '../../activities';
import { billingPeriod, firstPeriodStartingAtOrAfter } from '../../domain/calendar';
import { BillingStatusAttribute, NextBillingDateAttribute } from '../shared/search-attributes';
import { CHARGE_ACTIVITY_OPTIONS, RECORD_ACTIVITY_OPTIONS } from '../shared/activity-options';
import { RULE_FAILURE_TYPES, failingAs } from '../shared/rule-failure';
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
  type BillingPeriodView,
  type CancelRequest,
  type ChangePlanRequest,
  type PauseRequest,
  type PaymentStanding,
  type SubscriptionState,
  type SubscriptionView,
  type SubscriptionWorkflowInput,
  type TermView,
  waitUntilRecordedUpdate,
} from './contract';
import {
  applyCancel,
  applyPause,
  applyResume,
  applyUndoCancel,
  canceledBeforeStart,
  checkCancel,
  checkChangePlan,
  checkPause,
  checkProrationDateOf,
  checkResume,
  checkUndoCancel,
  prorationDateInPeriod,
} from './lifecycle';
import { endsTerm, pendingEvents, termBounds, type TimedEvent } from './timeline';

/** Start a fresh run at least this often, whatever the history size, to keep replays quick. */
export const BOUNDARIES_PER_RUN = 36;

/** Patch ids for changes to this workflow's commands; histories recorded before them still replay. */
const RECORD_UNTIL_CAUGHT_UP = 'record-state-until-caught-up';
/** Each period's invoice is collected by its own invoice collection workflow (dunning lives there). */
const COLLECT_IN_INVOICE_WORKFLOW = 'collect-in-invoice-workflow';
/** Charges still waiting for a next invoice when the subscription ends go onto a final invoice. */
const INVOICE_LEFTOVERS_AT_END = 'invoice-leftover-charges-at-end';
/** A prorated plan change may not be dated before the last one in its period (the credits would exceed what was billed). */
const PRORATION_DATES_IN_ORDER = 'proration-dates-in-order';
/** Canceled before it started, a subscription bills nothing: its partial period before the anchor was never delivered. */
const NOTHING_BILLED_BEFORE_START = 'nothing-billed-when-canceled-before-start';

const records = proxyActivities<BillingActivities>(RECORD_ACTIVITY_OPTIONS);
/** Only for histories from before COLLECT_IN_INVOICE_WORKFLOW, which charged from here. */
const collection = proxyActivities<Pick<BillingActivities, 'chargeInvoice'>>(CHARGE_ACTIVITY_OPTIONS);

const nowIso = (): string => new Date(Date.now()).toISOString();

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

export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<SubscriptionView> {
  const state = input.carriedState ?? initialState(input);
  const periodAt = (index: number): BillingPeriodView => billingPeriod(input.billingAnchor, input.timeZone, input.interval, index);

  // `version` counts state changes; `recordedVersion` is the last one written to the database.
  let version = 1;
  let recordedVersion = 0;
  const changed = (): void => {
    version += 1;
  };

  const expiresAtNextBoundary = (): boolean => input.commitment?.renewal === 'expire' && endsTerm(input, state.nextPeriodIndex);

  const nextBillingDate = (): string | null => {
    if (state.status === 'canceled' || state.cancelAtPeriodEnd || expiresAtNextBoundary()) return null;
    const next = periodAt(state.nextPeriodIndex).start;
    // Paused, or pausing before the next boundary: billing picks up at the first boundary of the
    // anchor's calendar after the resume (none without a resume date).
    const pausing = state.scheduledPause && Date.parse(state.scheduledPause.pauseAt) <= Date.parse(next) ? state.scheduledPause : null;
    if (state.status === 'paused' || pausing) {
      const resumeAt = state.status === 'paused' ? state.resumeAt : pausing!.resumeAt;
      if (!resumeAt) return null;
      const index = firstPeriodStartingAtOrAfter(input.billingAnchor, input.timeZone, input.interval, resumeAt);
      return periodAt(Math.max(index, state.nextPeriodIndex)).start;
    }
    return next;
  };

  const currentTerm = (): TermView | null => {
    if (!input.commitment) return null;
    const index = state.termIndex ?? 0;
    return { index, ...termBounds(input, periodAt, index), renewal: input.commitment.renewal };
  };

  const view = (): SubscriptionView => ({
    subscriptionId: input.subscriptionId,
    ...state,
    nextBillingDate: nextBillingDate(),
    currentTerm: currentTerm(),
  });

  /** Updates answer once their change is in the database, so the caller's next read sees it. */
  const answerWhenRecorded = async (): Promise<SubscriptionView> => {
    const target = version;
    await condition(() => recordedVersion >= target);
    return view();
  };

  const pause = (request: PauseRequest = {}): void => {
    applyPause(state, request, nowIso());
    changed();
  };
  const undoCancel = (): void => {
    applyUndoCancel(state);
    changed();
  };
  const resume = (): void => {
    applyResume(state);
    changed();
  };
  const cancel = (request: CancelRequest): void => {
    applyCancel(state, request, nowIso());
    changed();
  };

  /** Signals cannot answer, so an invalid one is logged and dropped instead of failing the workflow. */
  const ignoringInvalid = (name: string, check: () => void, apply: () => void) => () => {
    try {
      check();
    } catch (err) {
      log.warn(`ignored ${name} signal: ${(err as Error).message}`);
      return;
    }
    apply();
  };

  /**
   * A broken rule as the failure the API reads: its message, and the request field at fault (`param`),
   * which a plain error thrown from a validator or handler would lose on its way to the caller.
   */
  const rethrowingRule = (check: () => void): void => failingAs(RULE_FAILURE_TYPES.subscription, check);

  setHandler(getSubscriptionQuery, view);
  setHandler(waitUntilRecordedUpdate, answerWhenRecorded);
  setHandler(pauseSignal, (request: PauseRequest = {}) =>
    ignoringInvalid('pause', () => checkPause(state, request, nowIso(), input.billingAnchor), () => pause(request))(),
  );
  setHandler(undoCancelSignal, ignoringInvalid('undoCancel', () => checkUndoCancel(state), undoCancel));
  setHandler(resumeSignal, ignoringInvalid('resume', () => checkResume(state), resume));
  setHandler(cancelSignal, (request: CancelRequest) => ignoringInvalid('cancel', () => checkCancel(state, request), () => cancel(request))());
  setHandler(
    pauseUpdate,
    async (request: PauseRequest = {}) => {
      pause(request);
      return answerWhenRecorded();
    },
    { validator: (request: PauseRequest = {}) => rethrowingRule(() => checkPause(state, request, nowIso(), input.billingAnchor)) },
  );
  setHandler(
    undoCancelUpdate,
    async () => {
      undoCancel();
      return answerWhenRecorded();
    },
    { validator: () => rethrowingRule(() => checkUndoCancel(state)) },
  );
  setHandler(
    resumeUpdate,
    async () => {
      resume();
      return answerWhenRecorded();
    },
    { validator: () => rethrowingRule(() => checkResume(state)) },
  );
  setHandler(
    cancelUpdate,
    async (request: CancelRequest) => {
      cancel(request);
      return answerWhenRecorded();
    },
    { validator: (request: CancelRequest) => rethrowingRule(() => checkCancel(state, request)) },
  );

  /** True while a boundary is being billed: a plan change waits for it, so it never lands mid-invoice. */
  let billing = false;

  /**
   * Changes the price or quantity. Now: the proration of the billed period is invoiced, queued for the
   * next invoice or skipped (activities/plan-changes.ts). At period end: recorded, and applied at the
   * boundary before the next period is invoiced.
   */
  setHandler(
    changePlanUpdate,
    async (request: ChangePlanRequest) => {
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
        await records.scheduleSubscriptionPlanChange(target);
        state.scheduledPlanChangeId = request.changeId;
      } else {
        await condition(() => !billing);
        const prorating = state.status !== 'scheduled' && state.currentPeriod !== null;
        // Set before the activity runs, so a change arriving meanwhile is checked against this one.
        const recordsDate = prorating && request.prorationBehavior !== 'none';
        const previousDate = state.lastProrationDate ?? null;
        if (prorating) {
          rethrowingRule(() => {
            // The boundary may have passed while the change waited (its period is no longer the billed
            // one), or another change was made meanwhile: the validator's answer may be stale.
            if (patched(PRORATION_DATES_IN_ORDER)) checkProrationDateOf(state, request);
            else prorationDateInPeriod(state, request.prorationDate);
          });
          if (recordsDate) state.lastProrationDate = request.prorationDate;
        }
        let invoice: InvoiceSummary | null;
        try {
          ({ invoice } = await records.changeSubscriptionPlan({
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
        if (invoice) await startCollection(invoice);
      }
      changed();
      return answerWhenRecorded();
    },
    { validator: (request: ChangePlanRequest) => rethrowingRule(() => checkChangePlan(state, input.interval, request)) },
  );

  async function recordState(): Promise<void> {
    const target = version;
    await records.recordSubscriptionState({
      subscriptionId: input.subscriptionId,
      status: state.status,
      currentPeriod: state.currentPeriod,
      nextBillingDate: nextBillingDate(),
      cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      pausedAt: state.pausedAt,
      canceledAt: state.canceledAt,
      cancellationReason: state.cancellationReason ?? null,
      scheduledPause: state.scheduledPause ?? null,
      resumeAt: state.resumeAt ?? null,
      currentTerm: currentTerm(),
      scheduledPlanChangeId: state.scheduledPlanChangeId ?? null,
    });
    const next = nextBillingDate();
    upsertSearchAttributes([
      { key: BillingStatusAttribute, value: state.status },
      { key: NextBillingDateAttribute, value: next === null ? null : new Date(next) },
    ]);
    recordedVersion = Math.max(recordedVersion, target);
  }

  /** A payment outcome sets the standing; a pause or cancel that arrived meanwhile still wins. */
  function setStanding(standing: PaymentStanding): void {
    if (state.status === 'paused') state.statusBeforePause = standing;
    else if (state.status !== 'canceled' && state.status !== 'scheduled' && state.status !== 'trialing') state.status = standing;
  }

  const currentStanding = (): PaymentStanding | null =>
    state.status === 'paused' ? state.statusBeforePause : state.status === 'active' || state.status === 'past_due' || state.status === 'unpaid' ? state.status : null;

  /**
   * What the invoice collection workflows report. The subscription is past due while any of its
   * invoices is failing, and active again once every one of them is settled. When dunning gives up,
   * the policy decides: stay past due, become unpaid, or cancel now.
   */
  setHandler(invoiceCollectionOutcomeSignal, (report: InvoiceCollectionOutcome) => {
    const before = JSON.stringify([state.status, state.statusBeforePause, state.delinquentInvoiceIds ?? []]);
    const delinquent = new Set(state.delinquentInvoiceIds ?? []);
    if (report.outcome === 'payment_failed' || report.outcome === 'failed') delinquent.add(report.invoiceId);
    else delinquent.delete(report.invoiceId);
    state.delinquentInvoiceIds = [...delinquent];

    if (delinquent.size === 0) setStanding('active');
    else if (report.outcome === 'failed' && report.subscriptionAfterFailure === 'canceled') {
      if (state.status !== 'canceled') applyCancel(state, { atPeriodEnd: false, reason: 'payment_failed' }, nowIso());
    } else if (report.outcome === 'failed' && report.subscriptionAfterFailure === 'unpaid') setStanding('unpaid');
    else if (currentStanding() !== 'unpaid') setStanding('past_due');
    // Only a real change is written (a repeated report must not cost a database write).
    if (JSON.stringify([state.status, state.statusBeforePause, state.delinquentInvoiceIds]) !== before) changed();
  });

  /**
   * Hands the invoice to its own collection workflow (`invoice-<id>`), started by an activity rather
   * than as a child: it outlives this run (continue-as-new, cancel) and reports back by signal.
   */
  async function startCollection(invoice: InvoiceSummary): Promise<void> {
    await records.startInvoiceCollection({
      invoiceId: invoice.invoiceId,
      customerId: input.customerId,
      collectionMethod: invoice.collectionMethod === 'send_invoice' ? 'send_invoice' : 'charge_automatically',
      ownerWorkflowId: workflowInfo().workflowId,
      dunningPolicy: input.dunningPolicy,
    });
  }

  async function collect(invoice: InvoiceSummary): Promise<void> {
    if (invoice.collectionMethod === 'send_invoice') {
      await records.sendInvoice({ invoiceId: invoice.invoiceId });
      setStanding('active');
      return;
    }
    const result = await collection.chargeInvoice({ invoiceId: invoice.invoiceId, attempt: 1, chargedAt: nowIso() });
    if (result.outcome === 'failed') {
      setStanding('past_due');
      await records.sendPaymentFailedNotice({ paymentId: result.paymentId });
    } else {
      setStanding('active');
      if (result.outcome === 'succeeded') await records.sendPaymentReceipt({ paymentId: result.paymentId });
    }
  }

  async function billPeriod(period: BillingPeriodView): Promise<void> {
    const invoice = await records.createSubscriptionInvoice({ subscriptionId: input.subscriptionId, period, issuedAt: nowIso() });
    state.currentPeriod = period;
    state.nextPeriodIndex = period.index + 1;
    changed();
    if (patched(COLLECT_IN_INVOICE_WORKFLOW)) {
      await startCollection(invoice);
      // Billing has begun; how payment goes is reported by the collection workflow.
      if (state.status === 'scheduled' || state.status === 'trialing') state.status = 'active';
    } else {
      await collect(invoice);
      changed();
    }
  }

  async function handleTimedEvent(event: TimedEvent): Promise<void> {
    switch (event.kind) {
      case 'trial_start':
        state.status = 'trialing';
        return;
      case 'start':
        state.status = 'active';
        return;
      case 'trial_ending_notice':
        await records.sendSubscriptionNotice({ subscriptionId: input.subscriptionId, kind: 'trial_ending', effectiveAt: input.billingAnchor, sentAt: nowIso() });
        state.trialReminderSent = true;
        return;
      case 'term_notice':
        await records.sendSubscriptionNotice({
          subscriptionId: input.subscriptionId,
          kind: input.commitment!.renewal === 'renew' ? 'term_renewal' : 'term_expiry',
          effectiveAt: event.termEnd,
          termIndex: event.termIndex,
          sentAt: nowIso(),
        });
        state.termReminderSentFor = event.termIndex;
        return;
      case 'pause':
        applyPause(state, { resumeAt: state.scheduledPause?.resumeAt ?? null }, event.at);
        state.scheduledPause = null;
        return;
      case 'resume':
        applyResume(state);
        return;
    }
  }

  /**
   * Lets running update handlers finish before this run ends (continue-as-new, or the end). They answer
   * once their change is recorded, so the state is written for them meanwhile: waiting for the handlers
   * alone would leave one that changed the state waiting for a write that never comes.
   */
  async function finishHandlers(): Promise<void> {
    for (;;) {
      if (recordedVersion < version) {
        await recordState();
        continue;
      }
      if (allHandlersFinished()) return;
      await condition(() => allHandlersFinished() || recordedVersion < version);
    }
  }

  let boundariesThisRun = 0;
  for (;;) {
    if (patched(RECORD_UNTIL_CAUGHT_UP)) {
      // A change that lands while the state is being written needs another write, or the update
      // that made it would wait for a write that never comes.
      while (recordedVersion < version) await recordState();
    } else if (recordedVersion < version) {
      await recordState();
    }
    if (state.status === 'canceled') break;

    const boundary = periodAt(state.nextPeriodIndex);
    // Trial start, notices, a scheduled pause or resume: whichever comes first, up to the boundary.
    const event = pendingEvents(input, state, periodAt).find((e) => Date.parse(e.at) <= Date.parse(boundary.start));
    const wakeAt = Date.parse(event?.at ?? boundary.start);
    if (wakeAt > Date.now()) {
      const seen = version;
      if (await condition(() => version !== seen, wakeAt - Date.now())) continue;
    }
    if (event) {
      await handleTimedEvent(event);
      changed();
      continue;
    }

    // The boundary is the end of the current period and the start of the next one.
    boundariesThisRun += 1;
    billing = true;
    if (endsTerm(input, boundary.index) && !state.cancelAtPeriodEnd) {
      if (input.commitment!.renewal === 'expire') {
        // The committed term is over and does not renew: nothing more is billed.
        applyCancel(state, { atPeriodEnd: true, reason: 'term_expired' }, boundary.start);
      } else {
        state.termIndex = (state.termIndex ?? 0) + 1;
        changed();
      }
    }
    if (state.scheduledPlanChangeId) {
      // The change waiting for this period end applies before the next period is invoiced (or never, if
      // the subscription ends here).
      await records.applyScheduledPlanChange({ subscriptionId: input.subscriptionId, changeId: state.scheduledPlanChangeId, supersede: state.cancelAtPeriodEnd });
      state.scheduledPlanChangeId = null;
      changed();
    }
    if (state.cancelAtPeriodEnd) {
      applyCancel(state, { atPeriodEnd: false, reason: state.cancellationReason ?? 'cancellation_requested' }, boundary.start);
      billing = false;
      changed();
      continue;
    }
    if (state.status === 'paused') {
      // Nothing is billed while paused; billing picks up again on the anchor's calendar.
      state.nextPeriodIndex = boundary.index + 1;
      changed();
    } else {
      await billPeriod(boundary);
    }
    billing = false;

    if (boundariesThisRun >= BOUNDARIES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await finishHandlers();
      return continueAsNew<typeof subscriptionWorkflow>({ ...input, carriedState: state });
    }
  }

  if (patched(INVOICE_LEFTOVERS_AT_END)) {
    if (canceledBeforeStart(input, state) && patched(NOTHING_BILLED_BEFORE_START)) {
      // Nothing was delivered: the partial period charge waiting for the first invoice is never billed
      // (it stays unbilled on a canceled subscription; nothing else can be waiting before the start).
      log.info('canceled before it started: nothing to bill');
    } else {
      // Prorations queued by plan changes, or the partial period before a billing anchor used up to the
      // end, are owed even though no next period will be billed.
      const final = await records.invoiceLeftoverCharges({ subscriptionId: input.subscriptionId, issuedAt: state.canceledAt ?? nowIso() });
      if (final) await startCollection(final);
    }
  }
  await finishHandlers();
  return view();
}
