/**
 * The subscription workflow's public surface: its input, the state it reports, and the signals,
 * updates and queries the API (and operators through the Temporal UI or CLI) send it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BillingInterval } from '../../domain/frequency';
import type { DunningPolicy } from '../../domain/dunning';

export const subscriptionWorkflowId = (subscriptionId: string): string => `subscription-${subscriptionId}`;

export type SubscriptionLifecycleStatus = 'scheduled' | 'trialing' | 'active' | 'past_due' | 'unpaid' | 'paused' | 'canceled';

/** Why a subscription ended (Stripe's `cancellation_details.reason`, plus the end of a commitment term). */
export type CancellationReason = 'cancellation_requested' | 'payment_failed' | 'term_expired';

/**
 * A commitment: the customer commits to terms of `periodsPerTerm` billing periods (a 12-month term
 * paid quarterly has 4), counted from the billing anchor. At the end of each term the subscription
 * renews for another term or expires.
 */
export interface CommitmentTerm {
  periodsPerTerm: number;
  renewal: 'renew' | 'expire';
  /** Days before a term ends that the customer and the account owner are reminded; 0 sends nothing. */
  reminderDaysBefore: number;
}

/** A pause that starts later, and when it ends by itself. */
export interface ScheduledPause {
  pauseAt: string;
  resumeAt: string | null;
}

/** How a subscription stands with its payments, apart from pause and cancel. */
export type PaymentStanding = 'active' | 'past_due' | 'unpaid';

export interface BillingPeriodView {
  index: number;
  start: string;
  end: string;
}

/** What only the workflow knows; carried verbatim across continue-as-new. */
export interface SubscriptionState {
  status: SubscriptionLifecycleStatus;
  /** The next period to bill; periods before it are billed or were skipped while paused. */
  nextPeriodIndex: number;
  currentPeriod: BillingPeriodView | null;
  cancelAtPeriodEnd: boolean;
  pausedAt: string | null;
  canceledAt: string | null;
  /** The status to return to on resume (a past-due subscription stays past due). */
  statusBeforePause: PaymentStanding | null;
  /**
   * Invoices whose collection has failed and not yet been settled (paid, void or written off).
   * Absent in state carried from runs before invoice collection moved to its own workflow.
   */
  delinquentInvoiceIds?: string[];
  /** A plan change recorded for the end of the current period (its id in subscription_plan_changes). */
  scheduledPlanChangeId?: string | null;
  /** The commitment term running now (0 = the first); absent without a commitment. */
  termIndex?: number;
  /** The term whose end the customer and owner were reminded of. */
  termReminderSentFor?: number | null;
  /** The trial-ending notice went out. */
  trialReminderSent?: boolean;
  scheduledPause?: ScheduledPause | null;
  /** When a paused subscription resumes by itself. */
  resumeAt?: string | null;
  cancellationReason?: CancellationReason | null;
  /**
   * The proration date of the latest prorated change, kept so a later change in the same period is not
   * dated before it (its credit would cover time never charged). Absent before the rule existed.
   */
  lastProrationDate?: string | null;
}

export interface SubscriptionWorkflowInput {
  subscriptionId: string;
  customerId: string;
  /** Period n starts at billingAnchor + n × interval, in timeZone. */
  billingAnchor: string;
  timeZone: string;
  interval: BillingInterval;
  /** Applied to each period's invoice; DEFAULT_DUNNING_POLICY when absent. */
  dunningPolicy?: DunningPolicy;
  /**
   * With a trial: when it starts. The trial runs from here to `billingAnchor`, where the first paid
   * period begins; nothing is billed before.
   */
  trialStart?: string;
  /** Days before the trial ends that the customer is told (0 or absent: no notice). */
  trialEndingNoticeDays?: number;
  /**
   * With a billing anchor chosen after the start (no trial): when the subscription starts. It is
   * active from here; the partial period up to the anchor is charged on the first invoice, or free.
   */
  stubStart?: string;
  commitment?: CommitmentTerm;
  /**
   * Bought at a checkout page that waits for the first period's charge: that invoice's collection
   * emails the buyer no failure (the page shows the decline and the checkout cancels the
   * subscription), as for the checkout's one-time invoice. Absent: every period's collection emails.
   */
  firstChargeAtCheckout?: boolean;
  /** Present when continuing as new. */
  carriedState?: SubscriptionState;
  /** Update ids the earlier runs applied lately (workflows/shared/update-ledger.ts). */
  carriedUpdateIds?: string[];
  /**
   * History events a run may reach before it continues as new (the server's suggestion may come
   * sooner); workflows/shared/run-length.ts's HISTORY_EVENTS_PER_RUN when absent. Tests set it low.
   */
  historyEventsPerRun?: number;
}

export interface SubscriptionView extends SubscriptionState {
  subscriptionId: string;
  /** When the next invoice will be created and charged; null once canceled or set to end. */
  nextBillingDate: string | null;
  /** The commitment term running now; null without a commitment. */
  currentTerm: TermView | null;
}

export interface TermView {
  index: number;
  start: string;
  end: string;
  /** What happens at `end`. */
  renewal: 'renew' | 'expire';
}

/** Another price or quantity: now (with proration) or from the next period. */
export interface ChangePlanRequest {
  changeId: string;
  /** The subscription item (si_…) whose price or quantity changes; absent in requests from before items (its first item). */
  itemId?: string;
  priceId: string;
  unitAmount: number;
  quantity: number;
  /** The new price's interval; it must be the subscription's (the billing calendar does not change). */
  interval: BillingInterval;
  prorationBehavior: 'create_prorations' | 'always_invoice' | 'none';
  /** When an immediate change takes effect, within the billed period (the API's clock, as previewed). */
  prorationDate: string;
  atPeriodEnd: boolean;
}

export interface CancelRequest {
  /** true: keep the current period, stop at its end. false: stop now. */
  atPeriodEnd: boolean;
  /** Recorded on the subscription; `cancellation_requested` when absent. */
  reason?: CancellationReason;
}

/** Pause now (no `pauseAt`) or at a later instant, optionally resuming by itself at `resumeAt`. */
export interface PauseRequest {
  pauseAt?: string | null;
  resumeAt?: string | null;
}

// Signals: fire-and-forget, for operators in the Temporal UI/CLI. Invalid ones are ignored and logged.
// Arguments added later are optional, so signals recorded without them still replay.
export const pauseSignal = defineSignal<[PauseRequest?]>('pause');
/** Resumes a paused subscription, or drops a pause scheduled for later. */
export const resumeSignal = defineSignal<[]>('resume');
export const cancelSignal = defineSignal<[CancelRequest]>('cancel');
/** Keeps a subscription that was set to cancel at period end. */
export const undoCancelSignal = defineSignal<[]>('undoCancel');

// Updates: the same changes, validated before they reach history, answering with the new state.
// The request is required from callers; updates recorded before it existed carry none (the handler defaults it).
export const pauseUpdate = defineUpdate<SubscriptionView, [PauseRequest]>('pauseSubscription');
export const resumeUpdate = defineUpdate<SubscriptionView, []>('resumeSubscription');
export const cancelUpdate = defineUpdate<SubscriptionView, [CancelRequest]>('cancelSubscription');
export const undoCancelUpdate = defineUpdate<SubscriptionView, []>('undoScheduledCancel');
export const changePlanUpdate = defineUpdate<SubscriptionView, [ChangePlanRequest]>('changeSubscriptionPlan');

/** Answers once the workflow has written its current state to the database (used right after start). */
export const waitUntilRecordedUpdate = defineUpdate<SubscriptionView, []>('waitUntilRecorded');

export const getSubscriptionQuery = defineQuery<SubscriptionView>('getSubscription');
