/**
 * Collecting one invoice, from finalize to paid (or void, or written off).
 *
 * charge_automatically: charge the saved payment method. A temporary decline is retried on the
 * dunning schedule (default day +1, +3, +5 after the first failure), the customer told each time;
 * a permanent decline, or the last retry failing, ends the schedule: the invoice goes past due or
 * uncollectible, the customer and the account owner get the final notice, and the owner (the
 * subscription) applies the policy's outcome. Until the invoice is settled a new card, an operator's
 * "retry now", a webhook or an offline payment can still collect it.
 *
 * send_invoice: email the invoice, wait for payment (webhook or operator), remind once it is overdue.
 *
 * The workflow ends when the invoice is paid or void. An uncollectible (written-off) invoice stops
 * being charged but can still be paid or voided, so its workflow keeps waiting for that.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { BillingActivities } from '../../activities';
import type { CollectionInvoice } from '../../activities/collection';
import type { DunningPolicy } from '../../domain/dunning';
import { classifyDecline, retryDueAt } from '../../domain/dunning';
import { CHARGE_ACTIVITY_OPTIONS, RECORD_ACTIVITY_OPTIONS } from '../shared/activity-options';
import {
  extendGraceUpdate,
  getCollectionQuery,
  invoiceCollectionOutcomeSignal,
  markUncollectibleUpdate,
  paymentEventSignal,
  paymentMethodUpdatedSignal,
  recordOfflinePaymentUpdate,
  retryNowUpdate,
  skipRetryUpdate,
  voidInvoiceUpdate,
  emailInvoiceUpdate,
  type CollectionView,
  type InvoiceCollectionInput,
  type InvoiceCollectionOutcome,
  type OfflinePaymentRequest,
  type PaymentEvent,
} from './contract';
import { stateViolation } from '../../domain/rule-violation';
import { RULE_FAILURE_TYPES, failingAs, ruleFailure } from '../shared/rule-failure';
import { checkExtendGrace, checkMarkUncollectible, checkOfflinePayment, checkRetryNow, checkSettle, checkSkipRetry } from './rules';

const COLLECTION_RULE_FAILURE = RULE_FAILURE_TYPES.invoiceCollection;

const recordActivities = proxyActivities<BillingActivities>(RECORD_ACTIVITY_OPTIONS);
const chargeActivities = proxyActivities<Pick<BillingActivities, 'chargeInvoice'>>(CHARGE_ACTIVITY_OPTIONS);

const nowIso = (): string => new Date(Date.now()).toISOString();

/** Gateway event ids remembered for deduplication; webhooks redeliver within days, not thousands of events. */
const REMEMBERED_EVENTS = 200;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Outcomes that end collection. */
type Settlement = 'paid' | 'void';

export async function invoiceCollectionWorkflow(input: InvoiceCollectionInput): Promise<CollectionView> {
  const view: CollectionView = {
    invoiceId: input.invoiceId,
    stage: input.collectionMethod === 'send_invoice' ? 'awaiting_payment' : 'charging',
    collectionMethod: input.collectionMethod,
    attempts: 0,
    nextRetryAt: null,
    graceDays: 0,
    pastDue: false,
    lastFailureCode: null,
  };
  // Set from the invoice once it is read (below, after the handlers are registered).
  // eslint-disable-next-line prefer-const -- assigned after the handlers that read it are declared
  let invoice: CollectionInvoice;
  // eslint-disable-next-line prefer-const -- as above
  let policy: DunningPolicy;
  let amountDue = 0;
  let amountPaid = 0;
  let settled: Settlement | null = null;
  /** Written off: no more charging, still payable. */
  let writtenOff = false;
  /**
   * False until the invoice is read. The handlers are registered before that first activity, so an
   * update sent the moment the workflow starts (void right after finalize) finds them; until the
   * invoice is known, validators let requests through and the handlers check them once it is.
   */
  let loaded = false;
  const whenLoaded = async (check: () => void): Promise<void> => {
    await condition(() => loaded);
    failingAs(COLLECTION_RULE_FAILURE, check);
  };
  const validateLoaded = (check: () => void) => () => {
    if (loaded) failingAs(COLLECTION_RULE_FAILURE, check);
  };
  let pastDueAt: string | null = null;
  /** Charging stops once the invoice is settled or written off. */
  const stopCharging = (): boolean => settled !== null || writtenOff;

  // What an operator, a webhook or the customer asked for; the main loop acts on it.
  let retryRequested = false;
  let skipRequested = false;
  let scheduleChanged = 0;
  const seenEvents: string[] = [];
  let lastEventAt = 0;

  const snapshot = (): CollectionView => ({ ...view });

  /** Whether the owner heard of a failure: only then does a settlement change anything for it. */
  let ownerToldOfFailure = false;

  async function tellOwner(outcome: InvoiceCollectionOutcome['outcome']): Promise<void> {
    if (!input.ownerWorkflowId) return;
    if (outcome === 'payment_failed' || outcome === 'failed') ownerToldOfFailure = true;
    // The happy path sends nothing (unless asked): one signal less in both histories for every period paid on time.
    else if (!ownerToldOfFailure && !input.reportEveryOutcome) return;
    const message: InvoiceCollectionOutcome = { invoiceId: input.invoiceId, outcome };
    if (outcome === 'failed') message.subscriptionAfterFailure = policy.subscriptionAfterFailure;
    try {
      await getExternalWorkflowHandle(input.ownerWorkflowId).signal(invoiceCollectionOutcomeSignal, message);
    } catch (err) {
      // The owner may be gone (a canceled subscription that finished); the invoice records still say it all.
      log.warn(`could not tell ${input.ownerWorkflowId} about ${outcome}: ${(err as Error).message}`);
    }
  }

  async function recordProgress(): Promise<void> {
    await recordActivities.recordCollectionProgress({
      invoiceId: input.invoiceId,
      attemptCount: view.attempts,
      nextPaymentAttempt: view.nextRetryAt,
      pastDueAt,
    });
  }

  async function settle(how: Settlement, paymentId: string | null = null, sendReceipt = false): Promise<void> {
    if (settled) return;
    settled = how;
    view.stage = how;
    view.nextRetryAt = null;
    view.pastDue = false;
    if (sendReceipt && paymentId) await recordActivities.sendPaymentReceipt({ paymentId });
    await tellOwner(how);
  }

  /** Stops charging; the invoice stays payable. `tell`: an operator's write-off clears the owner's standing. */
  async function writeOff(tell: boolean): Promise<void> {
    if (writtenOff || settled) return;
    writtenOff = true;
    view.stage = 'uncollectible';
    view.nextRetryAt = null;
    if (tell) await tellOwner('uncollectible');
  }

  /** Operator changes wait for an in-flight charge, so an offline payment never races a card charge. */
  const notCharging = () => condition(() => view.stage !== 'charging');

  function checkVoid(): void {
    checkSettle(view);
    if (amountPaid > 0) throw stateViolation(`invoice has ${amountPaid} paid on it; refund the payments before voiding it`);
  }

  function refuseIfSettled(): void {
    if (settled) throw ruleFailure(COLLECTION_RULE_FAILURE, stateViolation(`invoice ${input.invoiceId} is already ${settled}`));
  }

  setHandler(getCollectionQuery, snapshot);

  /**
   * Signals are registered once the invoice is known: the SDK holds a signal until its handler exists,
   * so a payment event that arrives with the start is applied after the invoice is read (as in
   * histories recorded before the update handlers moved ahead of the first activity).
   */
  function registerSignalHandlers(): void {
    setHandler(paymentMethodUpdatedSignal, () => {
      if (!stopCharging() && input.collectionMethod === 'charge_automatically') retryRequested = true;
    });

    setHandler(paymentEventSignal, async (event: PaymentEvent) => {
      if (seenEvents.includes(event.eventId)) return;
      seenEvents.push(event.eventId);
      if (seenEvents.length > REMEMBERED_EVENTS) seenEvents.shift();
      const occurredAt = Date.parse(event.occurredAt);
      // An event older than one already applied describes a state we have moved past.
      if (occurredAt < lastEventAt) {
        log.info(`ignored ${event.type} ${event.eventId}: older than an event already applied`);
        return;
      }
      lastEventAt = occurredAt;
      if (event.type !== 'payment_succeeded') {
        // Declines of our own attempts already came back from chargeInvoice; refunds and disputes are
        // recorded by the refund and webhook records, not by collection.
        log.info(`payment event ${event.type} ${event.eventId} noted; collection unchanged`);
        return;
      }
      await notCharging();
      if (settled) return;
      try {
        const { invoice: updated, paymentId } = await recordActivities.recordGatewayPayment({
          invoiceId: input.invoiceId,
          gatewayChargeId: event.gatewayChargeId,
          amount: event.amount,
          paidAt: event.occurredAt,
        });
        amountDue = updated.amountDue;
        amountPaid = updated.amountPaid;
        if (updated.status === 'paid') await settle('paid', paymentId, true);
      } catch (err) {
        // A signal cannot answer; failing here would fail the whole collection. The event stays in the webhook log.
        log.error(`could not apply payment event ${event.eventId}: ${(err as Error).message}`);
      }
    });
  }

  /**
   * An emailed invoice paid with the customer's saved card (from the portal or by an operator): one
   * charge, no retry schedule; a decline leaves it emailed and open, as it was.
   */
  async function chargeEmailedInvoice(): Promise<void> {
    view.stage = 'charging';
    view.attempts += 1;
    const result = await chargeActivities.chargeInvoice({ invoiceId: input.invoiceId, attempt: view.attempts, chargedAt: nowIso() });
    if (result.outcome !== 'failed') {
      amountPaid += amountDue;
      amountDue = 0;
      await settle('paid', result.paymentId, result.outcome === 'succeeded');
      return;
    }
    view.lastFailureCode = result.failureCode;
    await recordProgress();
    if (!settled) view.stage = writtenOff ? 'uncollectible' : 'awaiting_payment';
    await recordActivities.sendPaymentFailedNotice({ paymentId: result.paymentId });
  }

  setHandler(
    retryNowUpdate,
    async () => {
      await whenLoaded(() => checkRetryNow(view));
      if (input.collectionMethod === 'send_invoice') {
        await chargeEmailedInvoice();
        return snapshot();
      }
      const attemptsBefore = view.attempts;
      retryRequested = true;
      await condition(() => stopCharging() || (view.attempts > attemptsBefore && view.stage !== 'charging'));
      return snapshot();
    },
    { validator: validateLoaded(() => checkRetryNow(view)) },
  );

  setHandler(
    skipRetryUpdate,
    async () => {
      await whenLoaded(() => checkSkipRetry(view));
      const before = scheduleChanged;
      skipRequested = true;
      // Skipping the last retry ends the schedule: the stage moves on instead.
      await condition(() => stopCharging() || scheduleChanged > before || view.stage !== 'retry_scheduled');
      return snapshot();
    },
    { validator: validateLoaded(() => checkSkipRetry(view)) },
  );

  setHandler(
    extendGraceUpdate,
    async ({ days }) => {
      await whenLoaded(() => checkExtendGrace(view, { days }));
      const before = scheduleChanged;
      view.graceDays += days;
      await condition(() => stopCharging() || scheduleChanged > before);
      return snapshot();
    },
    { validator: (request) => validateLoaded(() => checkExtendGrace(view, request))() },
  );

  setHandler(
    recordOfflinePaymentUpdate,
    async (request: OfflinePaymentRequest) => {
      await whenLoaded(() => checkOfflinePayment(view, amountDue, request));
      await notCharging();
      refuseIfSettled();
      const { paymentId, invoice: updated } = await recordActivities.recordOfflinePayment({
        invoiceId: input.invoiceId,
        amount: request.amount,
        method: request.method,
        paidAt: request.paidAt,
        reference: request.reference,
        requestKey: request.requestKey,
      });
      amountDue = updated.amountDue;
      amountPaid = updated.amountPaid;
      if (updated.status === 'paid') await settle('paid', paymentId, request.sendReceipt);
      else if (request.sendReceipt) await recordActivities.sendPaymentReceipt({ paymentId });
      return snapshot();
    },
    { validator: (request) => validateLoaded(() => checkOfflinePayment(view, amountDue, request))() },
  );

  setHandler(
    voidInvoiceUpdate,
    async () => {
      await whenLoaded(checkVoid);
      await notCharging();
      refuseIfSettled();
      await recordActivities.voidInvoice({ invoiceId: input.invoiceId });
      await settle('void');
      return snapshot();
    },
    { validator: validateLoaded(checkVoid) },
  );

  // The first email (send_invoice) is copy 0; each resend on request is a new outbox row.
  let invoiceEmails = input.collectionMethod === 'send_invoice' ? 1 : 0;
  setHandler(
    emailInvoiceUpdate,
    async () => {
      await whenLoaded(() => checkSettle(view));
      const copy = invoiceEmails;
      invoiceEmails += 1;
      await recordActivities.sendInvoice({ invoiceId: input.invoiceId, copy });
      return snapshot();
    },
    { validator: validateLoaded(() => checkSettle(view)) },
  );

  setHandler(
    markUncollectibleUpdate,
    async () => {
      await whenLoaded(() => checkMarkUncollectible(view));
      await notCharging();
      refuseIfSettled();
      if (writtenOff) throw ruleFailure(COLLECTION_RULE_FAILURE, stateViolation(`invoice ${input.invoiceId} is already uncollectible`));
      await recordActivities.markInvoiceUncollectible({ invoiceId: input.invoiceId });
      await writeOff(true);
      return snapshot();
    },
    { validator: validateLoaded(() => checkMarkUncollectible(view)) },
  );

  /** The time of the next retry under the policy, counting skipped retries and granted grace days. */
  let firstFailureAt: number | null = null;
  let retriesUsed = 0;
  const nextRetryTime = (): number | null =>
    firstFailureAt === null ? null : retryDueAt(policy, firstFailureAt, retriesUsed + 1, view.graceDays);

  /** Gives up on the schedule: past due or written off, final notices, and the owner's outcome. */
  async function exhaust(failedPaymentId: string | null): Promise<void> {
    view.nextRetryAt = null;
    view.pastDue = true;
    pastDueAt = nowIso();
    await recordProgress();
    if (policy.invoiceAfterFailure === 'uncollectible') {
      await recordActivities.markInvoiceUncollectible({ invoiceId: input.invoiceId });
    }
    view.stage = 'awaiting_payment';
    if (failedPaymentId) {
      await recordActivities.sendPaymentFailedNotice({ paymentId: failedPaymentId });
      if (view.attempts === 1) await tellOwner('payment_failed');
    }
    await recordActivities.sendFinalPaymentFailureNotice({ invoiceId: input.invoiceId, failureCode: view.lastFailureCode });
    await tellOwner('failed');
    // The owner already heard "failed" and applied the policy; the write-off must not undo that.
    if (policy.invoiceAfterFailure === 'uncollectible') await writeOff(false);
  }

  /** One charge attempt. Returns true when the invoice is paid. */
  async function attemptCharge(): Promise<boolean> {
    view.stage = 'charging';
    view.nextRetryAt = null;
    view.attempts += 1;
    const result = await chargeActivities.chargeInvoice({ invoiceId: input.invoiceId, attempt: view.attempts, chargedAt: nowIso() });
    if (result.outcome !== 'failed') {
      amountPaid += amountDue;
      amountDue = 0;
      view.pastDue = false;
      pastDueAt = null;
      // chargeInvoice recorded the attempt count and cleared the schedule on the invoice itself.
      await settle('paid', result.paymentId, result.outcome === 'succeeded');
      return true;
    }
    view.lastFailureCode = result.failureCode;
    firstFailureAt ??= Date.now();
    const next = classifyDecline(result.failureCode) === 'temporary' && !view.pastDue ? nextRetryTime() : null;
    // The stage leaves `charging` only once the invoice row says what happened, so an update that
    // waited for this attempt answers with the invoice as it now is.
    if (next !== null) {
      view.nextRetryAt = new Date(next).toISOString();
      await recordProgress();
      view.stage = 'retry_scheduled';
      await recordActivities.sendPaymentFailedNotice({ paymentId: result.paymentId, nextRetryAt: view.nextRetryAt });
      if (view.attempts === 1) await tellOwner('payment_failed');
    } else if (!view.pastDue) {
      await exhaust(result.paymentId);
    } else {
      // A retry after the schedule ended (new card, operator) failed too: still past due.
      await recordProgress();
      view.stage = 'awaiting_payment';
      await recordActivities.sendPaymentFailedNotice({ paymentId: result.paymentId });
    }
    return false;
  }

  /** Sleeps until the scheduled retry, following skips and grace extensions. Returns when it is time to charge. */
  async function waitForRetry(): Promise<void> {
    for (;;) {
      const next = nextRetryTime();
      if (next === null) return; // skipped past the last retry: the caller gives up
      if (view.nextRetryAt !== new Date(next).toISOString()) {
        view.nextRetryAt = new Date(next).toISOString();
        await recordProgress();
      }
      scheduleChanged += 1;
      const graceBefore = view.graceDays;
      const woken = await condition(() => stopCharging() || retryRequested || skipRequested || view.graceDays !== graceBefore, Math.max(0, next - Date.now()));
      if (!woken || retryRequested || stopCharging()) return;
      if (skipRequested) {
        skipRequested = false;
        retriesUsed += 1;
      }
      // Grace changed or a retry was skipped: compute the new time and wait again.
    }
  }

  async function chargeUntilSettled(): Promise<void> {
    if (await attemptCharge()) return;
    while (!stopCharging()) {
      if (view.stage === 'retry_scheduled') {
        await waitForRetry();
        if (stopCharging()) return;
        if (!retryRequested && nextRetryTime() === null) {
          await exhaust(null); // the last retries were skipped
          continue;
        }
        retryRequested = false;
        retriesUsed += 1;
        await attemptCharge();
      } else {
        // Past due: wait for a payment, a new card or an operator's retry.
        await condition(() => stopCharging() || retryRequested);
        if (stopCharging()) return;
        retryRequested = false;
        await attemptCharge();
      }
    }
  }

  /**
   * The overdue reminder goes out a day after the due date (a day after sending for "due on
   * receipt"), so nobody is reminded of an invoice they received a minute ago.
   */
  async function emailAndAwaitPayment(): Promise<void> {
    await recordActivities.sendInvoice({ invoiceId: input.invoiceId });
    const remindAt = Math.max(invoice.dueDate === null ? 0 : Date.parse(invoice.dueDate), Date.now()) + DAY_MS;
    const paidInTime = await condition(stopCharging, remindAt - Date.now());
    if (!paidInTime) {
      view.pastDue = true;
      pastDueAt = nowIso();
      await recordProgress();
      await recordActivities.sendInvoiceOverdueReminder({ invoiceId: input.invoiceId });
      await tellOwner('payment_failed');
    }
  }

  // The worker's configured policy comes with the invoice, read once and kept in history, unless the starter chose one.
  const loadedInvoice = await recordActivities.getInvoiceForCollection({ invoiceId: input.invoiceId });
  invoice = loadedInvoice.invoice;
  policy = input.dunningPolicy ?? loadedInvoice.dunningPolicy;
  if (invoice.status === 'draft') {
    throw ApplicationFailure.nonRetryable(`invoice ${input.invoiceId} is a draft; finalize it before collecting`, 'InvoiceNotPayable');
  }
  amountDue = invoice.amountDue;
  amountPaid = invoice.amountPaid;
  settled = invoice.status === 'paid' || invoice.status === 'void' ? invoice.status : null;
  writtenOff = invoice.status === 'uncollectible';
  if (settled) view.stage = settled;
  else if (writtenOff) view.stage = 'uncollectible';
  loaded = true;
  registerSignalHandlers();

  if (settled) {
    await tellOwner(settled);
  } else if (!writtenOff) {
    if (input.collectionMethod === 'send_invoice') await emailAndAwaitPayment();
    else await chargeUntilSettled();
  }
  // Written off, or emailed and waiting: only a payment or a void ends collection now.
  await condition(() => settled !== null);

  // Answer updates that are still waiting (they see the final view) before the workflow closes.
  await condition(allHandlersFinished);
  return snapshot();
}
