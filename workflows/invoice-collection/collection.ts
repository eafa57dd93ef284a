/**
 * One invoice's collection state and the messages that change it (Temporal's "safe message
 * handlers" shape): the workflow function runs the process (workflow.ts) and registers these methods
 * as its signal, update and query handlers. A handler never charges on its own during dunning: it
 * sets a request (`retryRequested`, `skipRequested`, grace days) and waits for the process to act on
 * it, so a charge never races another.
 */
import { ApplicationFailure, condition, getExternalWorkflowHandle, log } from '@temporalio/workflow';
import type { CollectionInvoice } from '../../activities/collection';
import type { DunningPolicy } from '../../domain/dunning';
import { stateViolation } from '../../domain/rule-violation';
import { RULE_FAILURE_TYPES, failingAs, ruleFailure } from '../shared/rule-failure';
import {
  invoiceCollectionOutcomeSignal,
  type CollectionView,
  type ExtendGraceRequest,
  type InvoiceCollectionOutcome,
  type OfflinePaymentRequest,
  type PaymentEvent,
} from './contract';
import { checkExtendGrace, checkMarkUncollectible, checkOfflinePayment, checkRetryNow, checkSettle, checkSkipRetry } from './rules';
import { chargeEmailedInvoice } from './emailed-invoice';
import { recordActivities } from './activity-proxies';
import type { CarriedCollection, CollectionPhase, InvoiceCollectionRunInput } from './hand-over';
import { UpdateLedger } from '../shared/update-ledger';

const COLLECTION_RULE_FAILURE = RULE_FAILURE_TYPES.invoiceCollection;

/** Gateway event ids remembered for deduplication; webhooks redeliver within days, not thousands of events. */
const REMEMBERED_EVENTS = 200;

/** Outcomes that end collection. */
export type Settlement = 'paid' | 'void';

export class InvoiceCollection {
  readonly view: CollectionView;
  phase: CollectionPhase = 'opening';
  // Set from the invoice once it is read (readInvoice), or carried from the previous run.
  invoice!: CollectionInvoice;
  policy!: DunningPolicy;
  amountDue = 0;
  amountPaid = 0;
  settled: Settlement | null = null;
  /** Written off: no more charging, still payable. */
  writtenOff = false;
  /**
   * False until the invoice is read. The update handlers are registered before that first activity,
   * so an update sent the moment the workflow starts (void right after finalize) finds them; until
   * the invoice is known, validators let requests through and the handlers check them once it is.
   */
  loaded = false;
  pastDueAt: string | null = null;
  /** When an emailed invoice's overdue reminder is due. */
  remindAt: number | null = null;

  // What an operator, a webhook or the customer asked for; the process acts on it.
  retryRequested = false;
  skipRequested = false;
  /** Counts schedule computations, so a skip or grace update can wait for the next one. */
  scheduleChanged = 0;
  seenEvents: string[] = [];
  lastEventAt = 0;

  /** The retry schedule: counted from the first failure, in retries used (taken or skipped). */
  firstFailureAt: number | null = null;
  retriesUsed = 0;

  /** Whether the owner heard of a failure: only then does a settlement change anything for it. */
  ownerToldOfFailure = false;
  /** The first email (send_invoice) is copy 0; each resend on request is a new outbox row. */
  invoiceEmails: number;

  /** Update ids applied lately, carried across continue-as-new: a retried id is answered, not applied twice. */
  readonly updates: UpdateLedger;

  constructor(readonly input: InvoiceCollectionRunInput) {
    this.updates = new UpdateLedger(input.carriedState?.updateIds);
    this.view = {
      invoiceId: input.invoiceId,
      stage: input.collectionMethod === 'send_invoice' ? 'awaiting_payment' : 'charging',
      collectionMethod: input.collectionMethod,
      attempts: 0,
      nextRetryAt: null,
      graceDays: 0,
      pastDue: false,
      lastFailureCode: null,
    };
    this.invoiceEmails = input.collectionMethod === 'send_invoice' ? 1 : 0;
    if (input.carriedState) this.resume(input.carriedState);
  }

  /** The workflow reads the invoice once, and the worker's dunning policy with it unless the starter chose one. */
  async readInvoice(): Promise<void> {
    const loadedInvoice = await recordActivities.getInvoiceForCollection({ invoiceId: this.input.invoiceId });
    this.invoice = loadedInvoice.invoice;
    this.policy = this.input.dunningPolicy ?? loadedInvoice.dunningPolicy;
    if (this.invoice.status === 'draft') {
      throw ApplicationFailure.nonRetryable(`invoice ${this.input.invoiceId} is a draft; finalize it before collecting`, 'InvoiceNotPayable');
    }
    this.amountDue = this.invoice.amountDue;
    this.amountPaid = this.invoice.amountPaid;
    this.settled = this.invoice.status === 'paid' || this.invoice.status === 'void' ? this.invoice.status : null;
    this.writtenOff = this.invoice.status === 'uncollectible';
    if (this.settled) this.view.stage = this.settled;
    else if (this.writtenOff) this.view.stage = 'uncollectible';
    this.loaded = true;
  }

  /** What the next run needs (hand-over.ts); only taken while nothing is in flight. */
  carry(): CarriedCollection {
    return {
      phase: this.phase,
      view: this.snapshot(),
      invoice: this.invoice,
      policy: this.policy,
      amountDue: this.amountDue,
      amountPaid: this.amountPaid,
      writtenOff: this.writtenOff,
      pastDueAt: this.pastDueAt,
      remindAt: this.remindAt,
      firstFailureAt: this.firstFailureAt,
      retriesUsed: this.retriesUsed,
      ownerToldOfFailure: this.ownerToldOfFailure,
      invoiceEmails: this.invoiceEmails,
      seenEvents: [...this.seenEvents],
      lastEventAt: this.lastEventAt,
      updateIds: this.updates.carry(),
    };
  }

  private resume(carried: CarriedCollection): void {
    Object.assign(this.view, carried.view);
    this.phase = carried.phase;
    this.invoice = carried.invoice;
    this.policy = carried.policy;
    this.amountDue = carried.amountDue;
    this.amountPaid = carried.amountPaid;
    this.writtenOff = carried.writtenOff;
    this.pastDueAt = carried.pastDueAt;
    this.remindAt = carried.remindAt;
    this.firstFailureAt = carried.firstFailureAt;
    this.retriesUsed = carried.retriesUsed;
    this.ownerToldOfFailure = carried.ownerToldOfFailure;
    this.invoiceEmails = carried.invoiceEmails;
    this.seenEvents = [...carried.seenEvents];
    this.lastEventAt = carried.lastEventAt;
    this.loaded = true;
  }

  snapshot(): CollectionView {
    return { ...this.view };
  }

  /** Charging stops once the invoice is settled or written off. */
  stopCharging(): boolean {
    return this.settled !== null || this.writtenOff;
  }

  async tellOwner(outcome: InvoiceCollectionOutcome['outcome']): Promise<void> {
    const { input } = this;
    if (!input.ownerWorkflowId) return;
    if (outcome === 'payment_failed' || outcome === 'failed') this.ownerToldOfFailure = true;
    // The happy path sends nothing (unless asked): one signal less in both histories for every period paid on time.
    else if (!this.ownerToldOfFailure && !input.reportEveryOutcome) return;
    const message: InvoiceCollectionOutcome = { invoiceId: input.invoiceId, outcome };
    if (outcome === 'failed') message.subscriptionAfterFailure = this.policy.subscriptionAfterFailure;
    try {
      await getExternalWorkflowHandle(input.ownerWorkflowId).signal(invoiceCollectionOutcomeSignal, message);
    } catch (err) {
      // The owner may be gone (a canceled subscription that finished); the invoice records still say it all.
      log.warn(`could not tell ${input.ownerWorkflowId} about ${outcome}: ${(err as Error).message}`);
    }
  }

  async recordProgress(): Promise<void> {
    await recordActivities.recordCollectionProgress({
      invoiceId: this.input.invoiceId,
      attemptCount: this.view.attempts,
      nextPaymentAttempt: this.view.nextRetryAt,
      pastDueAt: this.pastDueAt,
    });
  }

  async settle(how: Settlement, paymentId: string | null = null, sendReceipt = false): Promise<void> {
    if (this.settled) return;
    this.settled = how;
    this.view.stage = how;
    this.view.nextRetryAt = null;
    this.view.pastDue = false;
    if (sendReceipt && paymentId) await recordActivities.sendPaymentReceipt({ paymentId });
    await this.tellOwner(how);
  }

  /** Stops charging; the invoice stays payable. `tell`: an operator's write-off clears the owner's standing. */
  async writeOff(tell: boolean): Promise<void> {
    if (this.writtenOff || this.settled) return;
    this.writtenOff = true;
    this.view.stage = 'uncollectible';
    this.view.nextRetryAt = null;
    if (tell) await this.tellOwner('uncollectible');
  }

  // ---- Validation shared by validators and handlers ----

  private async whenLoaded(check: () => void): Promise<void> {
    await condition(() => this.loaded);
    failingAs(COLLECTION_RULE_FAILURE, check);
  }

  /** An update validator: checks the request once the invoice is known (handlers check it again then). */
  validateLoaded(check: () => void): void {
    if (this.loaded) failingAs(COLLECTION_RULE_FAILURE, check);
  }

  /** Operator changes wait for an in-flight charge, so an offline payment never races a card charge. */
  private notCharging(): Promise<void> {
    return condition(() => this.view.stage !== 'charging');
  }

  readonly checkVoid = (): void => {
    checkSettle(this.view);
    if (this.amountPaid > 0) throw stateViolation(`invoice has ${this.amountPaid} paid on it; refund the payments before voiding it`);
  };

  private refuseIfSettled(): void {
    if (this.settled) throw ruleFailure(COLLECTION_RULE_FAILURE, stateViolation(`invoice ${this.input.invoiceId} is already ${this.settled}`));
  }

  // ---- Signals (registered once the invoice is known; see workflow.ts) ----

  paymentMethodUpdated(): void {
    if (!this.stopCharging() && this.input.collectionMethod === 'charge_automatically') this.retryRequested = true;
  }

  async paymentEvent(event: PaymentEvent): Promise<void> {
    if (this.seenEvents.includes(event.eventId)) return;
    this.seenEvents.push(event.eventId);
    if (this.seenEvents.length > REMEMBERED_EVENTS) this.seenEvents.shift();
    const occurredAt = Date.parse(event.occurredAt);
    // An event older than one already applied describes a state we have moved past.
    if (occurredAt < this.lastEventAt) {
      log.info(`ignored ${event.type} ${event.eventId}: older than an event already applied`);
      return;
    }
    this.lastEventAt = occurredAt;
    if (event.type !== 'payment_succeeded') {
      // Declines of our own attempts already came back from chargeInvoice; refunds and disputes are
      // recorded by the refund and webhook records, not by collection.
      log.info(`payment event ${event.type} ${event.eventId} noted; collection unchanged`);
      return;
    }
    await this.notCharging();
    if (this.settled) return;
    try {
      const { invoice: updated, paymentId } = await recordActivities.recordGatewayPayment({
        invoiceId: this.input.invoiceId,
        gatewayChargeId: event.gatewayChargeId,
        amount: event.amount,
        paidAt: event.occurredAt,
      });
      this.amountDue = updated.amountDue;
      this.amountPaid = updated.amountPaid;
      if (updated.status === 'paid') await this.settle('paid', paymentId, true);
    } catch (err) {
      // A signal cannot answer; failing here would fail the whole collection. The event stays in the webhook log.
      log.error(`could not apply payment event ${event.eventId}: ${(err as Error).message}`);
    }
  }

  // ---- Updates: operator and customer actions, answering with the view ----

  async retryNow(): Promise<CollectionView> {
    await this.whenLoaded(() => checkRetryNow(this.view));
    if (this.input.collectionMethod === 'send_invoice') {
      await chargeEmailedInvoice(this);
      return this.snapshot();
    }
    const attemptsBefore = this.view.attempts;
    this.retryRequested = true;
    await condition(() => this.stopCharging() || (this.view.attempts > attemptsBefore && this.view.stage !== 'charging'));
    return this.snapshot();
  }

  async skipRetry(): Promise<CollectionView> {
    await this.whenLoaded(() => checkSkipRetry(this.view));
    const before = this.scheduleChanged;
    this.skipRequested = true;
    // Skipping the last retry ends the schedule: the stage moves on instead.
    await condition(() => this.stopCharging() || this.scheduleChanged > before || this.view.stage !== 'retry_scheduled');
    return this.snapshot();
  }

  async extendGrace({ days }: ExtendGraceRequest): Promise<CollectionView> {
    await this.whenLoaded(() => checkExtendGrace(this.view, { days }));
    const before = this.scheduleChanged;
    this.view.graceDays += days;
    await condition(() => this.stopCharging() || this.scheduleChanged > before);
    return this.snapshot();
  }

  async recordOfflinePayment(request: OfflinePaymentRequest): Promise<CollectionView> {
    await this.whenLoaded(() => checkOfflinePayment(this.view, this.amountDue, request));
    await this.notCharging();
    this.refuseIfSettled();
    const { paymentId, invoice: updated } = await recordActivities.recordOfflinePayment({
      invoiceId: this.input.invoiceId,
      amount: request.amount,
      method: request.method,
      paidAt: request.paidAt,
      reference: request.reference,
      requestKey: request.requestKey,
    });
    this.amountDue = updated.amountDue;
    this.amountPaid = updated.amountPaid;
    if (updated.status === 'paid') await this.settle('paid', paymentId, request.sendReceipt);
    else if (request.sendReceipt) await recordActivities.sendPaymentReceipt({ paymentId });
    return this.snapshot();
  }

  async voidInvoice(): Promise<CollectionView> {
    await this.whenLoaded(this.checkVoid);
    await this.notCharging();
    this.refuseIfSettled();
    await recordActivities.voidInvoice({ invoiceId: this.input.invoiceId });
    await this.settle('void');
    return this.snapshot();
  }

  async emailInvoice(): Promise<CollectionView> {
    await this.whenLoaded(() => checkSettle(this.view));
    const copy = this.invoiceEmails;
    this.invoiceEmails += 1;
    await recordActivities.sendInvoice({ invoiceId: this.input.invoiceId, copy });
    return this.snapshot();
  }

  async markUncollectible(): Promise<CollectionView> {
    await this.whenLoaded(() => checkMarkUncollectible(this.view));
    await this.notCharging();
    this.refuseIfSettled();
    if (this.writtenOff) throw ruleFailure(COLLECTION_RULE_FAILURE, stateViolation(`invoice ${this.input.invoiceId} is already uncollectible`));
    await recordActivities.markInvoiceUncollectible({ invoiceId: this.input.invoiceId });
    await this.writeOff(true);
    return this.snapshot();
  }
}
