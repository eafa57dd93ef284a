/**
 * The subscription workflow's public surface: its input, the state it reports, and the signals,
 * updates and queries the API (and operators through the Temporal UI or CLI) send it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BillingInterval } from '../../domain/frequency';
import type { DunningPolicy } from '../../domain/dunning';

export const subscriptionWorkflowId = (subscriptionId: string): string => `subscription-${subscriptionId}`;

export type SubscriptionLifecycleStatus = 'scheduled' | 'active' | 'past_due' | 'unpaid' | 'paused' | 'canceled';

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
  /** Present when continuing as new. */
  carriedState?: SubscriptionState;
}

export interface SubscriptionView extends SubscriptionState {
  subscriptionId: string;
  /** When the next invoice will be created and charged; null once canceled or set to cancel. */
  nextBillingDate: string | null;
}

/** Another price or quantity: now (with proration) or from the next period. */
export interface ChangePlanRequest {
  changeId: string;
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
}

// Signals: fire-and-forget, for operators in the Temporal UI/CLI. Invalid ones are ignored and logged.
export const pauseSignal = defineSignal<[]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const cancelSignal = defineSignal<[CancelRequest]>('cancel');

// Updates: the same changes, validated before they reach history, answering with the new state.
export const pauseUpdate = defineUpdate<SubscriptionView, []>('pauseSubscription');
export const resumeUpdate = defineUpdate<SubscriptionView, []>('resumeSubscription');
export const cancelUpdate = defineUpdate<SubscriptionView, [CancelRequest]>('cancelSubscription');
export const changePlanUpdate = defineUpdate<SubscriptionView, [ChangePlanRequest]>('changeSubscriptionPlan');

/** Answers once the workflow has written its current state to the database (used right after start). */
export const waitUntilRecordedUpdate = defineUpdate<SubscriptionView, []>('waitUntilRecorded');

export const getSubscriptionQuery = defineQuery<SubscriptionView>('getSubscription');
