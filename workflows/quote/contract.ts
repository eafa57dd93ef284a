/**
 * The quote workflow's public surface (`quote-<id>`): its input, the state it reports, and the
 * updates the API sends it (sales, admins and, through the public link, the customer).
 *
 * One workflow per quote carries it from draft to cash: approval when the discount is above the
 * threshold, the emailed acceptance links, reminders before expiry, signatures, then payment (an
 * invoice charged or emailed by its own collection workflow, or an instalment plan) and the
 * subscriptions for the recurring lines, and finally the confirmations and the onboarding task.
 * Content arrives already priced and hashed (the API computes both); the workflow decides what may
 * happen to it and when.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { QuoteContent, QuoteStage, QuoteTotals, QuoteTransition } from '../../domain/quote';

export const quoteWorkflowId = (quoteId: string): string => `quote-${quoteId}`;

/** Fixed when the quote is created (from the worker's or API's configuration). */
export interface QuoteSettings {
  /** Days before the expiry date a reminder goes to customer signers who have not signed; [] for none. */
  reminderDaysBefore: number[];
}

/** One version as the API priced and hashed it. */
export interface QuoteVersionInput {
  content: QuoteContent;
  /** SHA-256 of the content's canonical JSON (domain/quote-hash.ts). */
  contentHash: string;
  totals: QuoteTotals;
  /** The discount share is above the approval threshold: an admin approves before it is sent. */
  requiresApproval: boolean;
}

export interface QuoteWorkflowInput {
  quoteId: string;
  customerId: string;
  version: QuoteVersionInput;
  settings: QuoteSettings;
  /** Present when continuing as new: the quote as the last run left it. */
  carriedState?: QuoteState;
  /** Present when continuing as new: the emails the current version still owed its signers. */
  carriedEmailsDue?: 'quote_sent' | 'quote_revised' | null;
  /** Update ids the earlier runs applied lately (workflows/shared/update-ledger.ts). */
  carriedUpdateIds?: string[];
  /**
   * History events a run may reach before it continues as new (the server's suggestion may come
   * sooner); workflows/shared/run-length.ts's HISTORY_EVENTS_PER_RUN when absent. Tests set it low.
   */
  historyEventsPerRun?: number;
}

export interface QuoteSignatureRecord {
  signerId: string;
  kind: 'customer' | 'internal';
  name: string;
  email: string;
  /** What proves who signed: the signer's own link (customer) or API key (internal). Null on signatures taken before links were bound. */
  linkId?: string | null;
  apiKeyId?: string | null;
  ip: string;
  userAgent?: string | null;
  signedAt: string;
  version: number;
  /** The hash of the exact version content signed. */
  contentHash: string;
  /** A later version replaced the one signed: this signature no longer counts. */
  superseded: boolean;
}

export type QuotePaymentStatus = 'none' | 'pending' | 'retrying' | 'failed' | 'paid' | 'void';

export interface QuoteState {
  stage: QuoteStage;
  version: QuoteVersionInput;
  /** Hashes of every superseded version, to tell a stale signature from a forged one. */
  supersededHashes: string[];
  /** When the current version was sent (emails and reminders count from it). */
  sentAt: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  signatures: QuoteSignatureRecord[];
  transitions: QuoteTransition[];
  /** Reminders sent, as `<version>:<days before>`. */
  remindersSent: string[];
  invoiceId: string | null;
  instalmentPlanId: string | null;
  subscriptionIds: string[];
  paymentStatus: QuotePaymentStatus;
  acceptedAt: string | null;
  fulfilledAt: string | null;
  declinedAt: string | null;
  declineReason: string | null;
  voidedAt: string | null;
  voidReason: string | null;
  expiredAt: string | null;
}

export interface QuoteView extends QuoteState {
  quoteId: string;
  /** What the workflow waits for now, in words. */
  waitingFor: string;
}

export interface UpdateDraftRequest {
  /** The content hash the change was made from: a change based on an older draft is refused. */
  baseHash: string;
  version: QuoteVersionInput;
  by: string;
}
export interface SendQuoteRequest {
  by: string;
}
export interface ApproveQuoteRequest {
  by: string;
}
export interface RejectQuoteRequest {
  by: string;
  reason: string;
}
export interface ReviseQuoteRequest {
  baseHash: string;
  /** The next version (number = current + 1), priced and hashed. */
  version: QuoteVersionInput;
  by: string;
  reason: string | null;
}
export interface VoidQuoteRequest {
  by: string;
  reason: string | null;
}
/**
 * A signature, as the API authenticated it: the signer is who the credential identifies, never who
 * the caller says. A customer signs through their own link (issued for one signer of one version); an
 * internal signer through the API key bound to them in the content.
 */
export interface SignQuoteRequest {
  signerId: string;
  /** Customer: the link the signer used, and the version it was issued for. */
  linkId: string | null;
  linkVersion: number | null;
  /** Internal: the API key that called. */
  apiKeyId: string | null;
  ip: string;
  userAgent: string | null;
  /** The hash of the version the signer was shown. */
  contentHash: string;
}

/**
 * The request before signers were bound to their credential (the signer named in the body). Only
 * replayed histories carry it: the validator refuses it, so no new signature takes this shape. The
 * legacy branch can go once no quote workflow started before this change is still open.
 */
export interface LegacySignQuoteRequest {
  kind: 'customer' | 'internal';
  name: string;
  email: string;
  ip: string;
  contentHash: string;
}
export interface DeclineQuoteRequest {
  name: string | null;
  email: string | null;
  reason: string | null;
}

export const updateQuoteDraftUpdate = defineUpdate<QuoteView, [UpdateDraftRequest]>('updateQuoteDraft');
export const sendQuoteUpdate = defineUpdate<QuoteView, [SendQuoteRequest]>('sendQuote');
export const approveQuoteUpdate = defineUpdate<QuoteView, [ApproveQuoteRequest]>('approveQuote');
export const rejectQuoteUpdate = defineUpdate<QuoteView, [RejectQuoteRequest]>('rejectQuote');
export const reviseQuoteUpdate = defineUpdate<QuoteView, [ReviseQuoteRequest]>('reviseQuote');
export const voidQuoteUpdate = defineUpdate<QuoteView, [VoidQuoteRequest]>('voidQuote');
export const signQuoteUpdate = defineUpdate<QuoteView, [SignQuoteRequest | LegacySignQuoteRequest]>('signQuote');
export const declineQuoteUpdate = defineUpdate<QuoteView, [DeclineQuoteRequest]>('declineQuote');
/** Answers once the workflow has written its current state to the database (used right after start). */
export const waitUntilQuoteRecordedUpdate = defineUpdate<QuoteView, []>('waitUntilQuoteRecorded');

export const getQuoteQuery = defineQuery<QuoteView>('getQuote');
