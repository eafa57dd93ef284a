/**
 * The invoice collection workflow's public surface. One workflow per open invoice
 * (`invoice-<invoiceId>`) collects it: charges it and runs the dunning policy, or emails it and waits
 * for payment. It ends when the invoice is paid or void;
 * a written-off (uncollectible) invoice keeps its workflow until it is paid or voided.
 *
 * Who talks to it:
 * - the owner (a subscription workflow, later quotes and instalment plans) starts it through the
 *   `startInvoiceCollection` activity (not as a child: it must outlive the owner's run) and hears the
 *   outcome through `invoiceCollectionOutcomeSignal`;
 * - the API starts it for one-off invoices at finalize, and sends operator actions as updates;
 * - the Stripe webhook route sends gateway events as `paymentEventSignal`;
 * - a saved card sends `paymentMethodUpdatedSignal` (immediate retry).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DunningPolicy } from '../../domain/dunning';

export const invoiceCollectionWorkflowId = (invoiceId: string): string => `invoice-${invoiceId}`;

export type CollectionMethod = 'charge_automatically' | 'send_invoice';

export interface InvoiceCollectionInput {
  invoiceId: string;
  customerId: string;
  collectionMethod: CollectionMethod;
  /** The workflow to tell about the outcome (`subscription-<id>`), or null for a one-off invoice. */
  ownerWorkflowId: string | null;
  /** Defaults to DEFAULT_DUNNING_POLICY. Recorded in history, so a config change affects new invoices only. */
  dunningPolicy?: DunningPolicy;
  /**
   * Tell the owner every settlement, not only those after a reported failure. An instalment plan
   * needs each payment to advance its balance; a subscription only cares about failures.
   */
  reportEveryOutcome?: boolean;
  /**
   * `false` when the customer is at the page whose submit started this charge (a checkout): the page
   * shows the decline, and an email promising retries would be wrong, since the checkout undoes the
   * order. Absent (every run started before it existed) means true: failures are emailed.
   */
  customerNotices?: boolean;
}

/**
 * Where collection stands:
 * - `charging`: an attempt is in flight;
 * - `retry_scheduled`: a temporary decline, the next retry is at `nextRetryAt`;
 * - `awaiting_payment`: emailed (send_invoice) or failed for good but still open (past due):
 *   waiting for a payment to arrive (webhook, offline payment, new card);
 * - `uncollectible`: written off, no more charging; a payment or a void still closes it;
 * - `paid`, `void`: final, the workflow has ended.
 */
export type CollectionStage = 'charging' | 'retry_scheduled' | 'awaiting_payment' | 'paid' | 'void' | 'uncollectible';

export interface CollectionView {
  invoiceId: string;
  stage: CollectionStage;
  collectionMethod: CollectionMethod;
  /** Charge attempts made so far (the first charge is attempt 1). */
  attempts: number;
  nextRetryAt: string | null;
  /** Grace days an operator added to the retry schedule. */
  graceDays: number;
  /** True once dunning gave up (permanent decline or retries exhausted) and the invoice is past due. */
  pastDue: boolean;
  lastFailureCode: string | null;
}

/** What the owner hears. `failed`: dunning gave up; the owner applies `subscriptionAfterFailure`. */
export interface InvoiceCollectionOutcome {
  invoiceId: string;
  outcome: 'paid' | 'payment_failed' | 'failed' | 'void' | 'uncollectible';
  /** For `failed`: what the policy says the owner should become. */
  subscriptionAfterFailure?: DunningPolicy['subscriptionAfterFailure'];
}

/** A payment event from the gateway (webhook), already stored and deduplicated by the API. */
export interface PaymentEvent {
  /** Gateway event id (Stripe `evt_...`); the workflow ignores one it has seen. */
  eventId: string;
  type: 'payment_succeeded' | 'payment_failed' | 'refunded' | 'dispute_opened';
  /** When the gateway created the event (ISO); older events never move the state backwards. */
  occurredAt: string;
  gatewayChargeId: string | null;
  amount: number | null;
  failureCode: string | null;
}

export type OfflinePaymentMethod = 'check' | 'bank_transfer' | 'cash' | 'other';

export interface OfflinePaymentRequest {
  /** Minor units; less than the amount due leaves the balance open. */
  amount: number;
  method: OfflinePaymentMethod;
  /** When the money arrived (ISO). */
  paidAt: string;
  reference: string | null;
  sendReceipt: boolean;
  /** The API request's idempotency: the same key records the payment once. */
  requestKey: string;
}

export interface ExtendGraceRequest {
  days: number;
}

// Signals: fire-and-forget (webhooks, the Temporal UI).
export const paymentEventSignal = defineSignal<[PaymentEvent]>('paymentEvent');
export const paymentMethodUpdatedSignal = defineSignal<[]>('paymentMethodUpdated');
/** Sent by the collection workflow to its owner. */
export const invoiceCollectionOutcomeSignal = defineSignal<[InvoiceCollectionOutcome]>('invoiceCollectionOutcome');

// Updates: operator actions, validated before they reach history, answering with the new view.
export const retryNowUpdate = defineUpdate<CollectionView, []>('retryPaymentNow');
export const skipRetryUpdate = defineUpdate<CollectionView, []>('skipPaymentRetry');
export const extendGraceUpdate = defineUpdate<CollectionView, [ExtendGraceRequest]>('extendGracePeriod');
export const recordOfflinePaymentUpdate = defineUpdate<CollectionView, [OfflinePaymentRequest]>('recordOfflinePayment');
export const voidInvoiceUpdate = defineUpdate<CollectionView, []>('voidInvoice');
export const markUncollectibleUpdate = defineUpdate<CollectionView, []>('markInvoiceUncollectible');
/** Emails the invoice (again) to the customer: `POST /v1/invoices/:id/send`. */
export const emailInvoiceUpdate = defineUpdate<CollectionView, []>('emailInvoice');

export const getCollectionQuery = defineQuery<CollectionView>('getCollection');
