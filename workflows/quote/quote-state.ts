/**
 * One quote's state and the handlers that change or show it (updates, the query, the payment
 * invoice's outcomes), in the shape of Temporal's safe-message-handlers sample: the workflow function
 * (workflow.ts) creates it, registers its handlers and runs the quote's stages against it.
 */
import { log, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { QuoteStage } from '../../domain/quote';
import { recordActivities } from '../shared/activity-proxies';
import { DAY_MS, nowIso } from '../shared/clock';
import { RecordedState } from '../shared/recorded-state';
import { UpdateLedger } from '../shared/update-ledger';
import { setRecordedUpdate, type RecordedUpdates } from '../shared/recorded-update';
import { BillingStatusAttribute } from '../shared/search-attributes';
import { invoiceCollectionOutcomeSignal, type InvoiceCollectionOutcome } from '../invoice-collection/contract';
import {
  approveQuoteUpdate,
  declineQuoteUpdate,
  getQuoteQuery,
  rejectQuoteUpdate,
  reviseQuoteUpdate,
  sendQuoteUpdate,
  signQuoteUpdate,
  updateQuoteDraftUpdate,
  voidQuoteUpdate,
  waitUntilQuoteRecordedUpdate,
  type QuoteState,
  type QuoteView,
  type QuoteWorkflowInput,
} from './contract';
import {
  approvalRule,
  asQuoteRuleFailure,
  declineRule,
  isLegacySignRequest,
  isSignable,
  legacySignRule,
  pendingSigners,
  reviseRule,
  sendRule,
  signRule,
  updateDraftRule,
  voidRule,
} from './rules';

export const percent = (ppm: number): string => `${(ppm / 10_000).toFixed(2).replace(/\.?0+$/, '')}%`;

export type QuoteEmails = 'quote_sent' | 'quote_revised';

export class QuoteEntity {
  readonly state: QuoteState;
  readonly recorded = new RecordedState(() => this.recordState());
  /** Update ids applied lately, carried across continue-as-new: a retried id is answered, not applied twice. */
  readonly updates: UpdateLedger;
  /** Emails the current version still owes its customer signers: the first send, or a revision. */
  emailsDue: QuoteEmails | null;

  constructor(readonly input: QuoteWorkflowInput) {
    this.updates = new UpdateLedger(input.carriedUpdateIds);
    this.emailsDue = input.carriedEmailsDue ?? null;
    this.state = input.carriedState ?? {
      stage: 'draft',
      version: input.version,
      supersededHashes: [],
      sentAt: null,
      approvedBy: null,
      approvedAt: null,
      signatures: [],
      transitions: [{ at: nowIso(), from: null, to: 'draft', reason: 'quote created', by: input.version.content.owner.email }],
      remindersSent: [],
      invoiceId: null,
      instalmentPlanId: null,
      subscriptionIds: [],
      paymentStatus: 'none',
      acceptedAt: null,
      fulfilledAt: null,
      declinedAt: null,
      declineReason: null,
      voidedAt: null,
      voidReason: null,
      expiredAt: null,
    };
  }

  get content() {
    return this.state.version.content;
  }

  changed(): void {
    this.recorded.changed();
  }

  private waitingFor(): string {
    const { state, content } = this;
    const expires = content.expiresAt;
    switch (state.stage) {
      case 'draft':
        return 'sales to finish the draft and send it';
      case 'pending_approval':
        return `an admin to approve the ${percent(state.version.totals.discountPpm)} discount (expires ${expires})`;
      case 'sent':
      case 'signing': {
        const pending = pendingSigners(state);
        const who = content.signing.order === 'sequential' ? pending.slice(0, 1) : pending;
        return `signature of ${who.map((s) => `${s.name} <${s.email}>`).join(', ')} on version ${content.version} (expires ${expires})`;
      }
      case 'accepted':
        return 'payment to be set up';
      case 'awaiting_payment':
        if (state.instalmentPlanId) return `instalment plan ${state.instalmentPlanId} to start`;
        if (state.invoiceId) return `payment of invoice ${state.invoiceId}${state.paymentStatus === 'failed' || state.paymentStatus === 'retrying' ? ' (the last attempt failed)' : ''}`;
        return 'the payment invoice to be issued';
      default:
        return 'nothing: the quote is closed';
    }
  }

  paymentSettled(): boolean {
    return this.state.paymentStatus === 'paid' || this.state.paymentStatus === 'void';
  }

  readonly view = (): QuoteView => ({ quoteId: this.input.quoteId, ...this.state, waitingFor: this.waitingFor() });

  /** Moves to `to`, keeping why: the transition list is the quote's own audit trail. */
  moveTo(to: QuoteStage, reason: string, by: string): void {
    const { state } = this;
    const from = state.stage;
    state.transitions = [...state.transitions, { at: nowIso(), from, to, reason, by }];
    state.stage = to;
    log.info(`quote ${this.input.quoteId}: ${from} -> ${to}: ${reason}`);
    this.changed();
  }

  private sendOut(by: string, reason: string): void {
    this.state.sentAt = nowIso();
    this.emailsDue = this.state.supersededHashes.length > 0 ? 'quote_revised' : 'quote_sent';
    this.moveTo('sent', reason, by);
  }

  registerHandlers(): void {
    const { state } = this;
    const on: RecordedUpdates<QuoteView> = { recorded: this.recorded, updates: this.updates, view: this.view, asRuleFailure: asQuoteRuleFailure };
    setHandler(getQuoteQuery, this.view);
    setHandler(waitUntilQuoteRecordedUpdate, () => this.recorded.whenRecorded(this.view));

    setRecordedUpdate(
      on,
      updateQuoteDraftUpdate,
      (request) => updateDraftRule(state, request),
      (request) => {
        state.version = request.version;
      },
    );
    setRecordedUpdate(
      on,
      sendQuoteUpdate,
      (_request) => sendRule(state, Date.now()),
      ({ by }) => {
        if (state.version.requiresApproval) {
          this.moveTo('pending_approval', `the ${percent(state.version.totals.discountPpm)} discount is above the approval threshold`, by);
        } else {
          this.sendOut(by, 'sent to the customer');
        }
      },
    );
    setRecordedUpdate(
      on,
      approveQuoteUpdate,
      (_request) => approvalRule(state),
      ({ by }) => {
        state.approvedBy = by;
        state.approvedAt = nowIso();
        this.sendOut(by, `discount of ${percent(state.version.totals.discountPpm)} approved by ${by}; sent to the customer`);
      },
    );
    setRecordedUpdate(
      on,
      rejectQuoteUpdate,
      (_request) => approvalRule(state),
      ({ by, reason }) => this.moveTo('draft', `approval refused by ${by}: ${reason}`, by),
    );
    setRecordedUpdate(
      on,
      reviseQuoteUpdate,
      (request) => reviseRule(state, request, Date.now()),
      (request) => {
        const old = state.version;
        // The old version's signatures stop counting: the new content is not what they signed.
        state.signatures = state.signatures.map((s) => (s.contentHash === old.contentHash ? { ...s, superseded: true } : s));
        state.supersededHashes = [...state.supersededHashes, old.contentHash];
        state.version = request.version;
        state.approvedBy = null;
        state.approvedAt = null;
        const why = `revised to version ${request.version.content.version}${request.reason ? `: ${request.reason}` : ''}; version ${old.content.version} is superseded`;
        if (request.version.requiresApproval) {
          this.moveTo('pending_approval', `${why}; the ${percent(request.version.totals.discountPpm)} discount is above the approval threshold`, request.by);
        } else {
          this.sendOut(request.by, why);
        }
      },
    );
    setRecordedUpdate(
      on,
      voidQuoteUpdate,
      (_request) => voidRule(state),
      ({ by, reason }) => {
        state.voidedAt = nowIso();
        state.voidReason = reason ?? 'voided';
        this.emailsDue = null;
        this.moveTo('voided', `voided by ${by}${reason ? `: ${reason}` : ''}`, by);
      },
    );
    setRecordedUpdate(
      on,
      signQuoteUpdate,
      (request) => void signRule(state, request, Date.now()),
      (request) => {
        // The validator refuses the legacy shape, so only a replayed history reaches that branch.
        const signer = isLegacySignRequest(request) ? legacySignRule(state, request, Date.now()) : signRule(state, request, Date.now());
        const proof = isLegacySignRequest(request)
          ? { name: request.name }
          : { name: signer.name, linkId: request.linkId, apiKeyId: request.apiKeyId, userAgent: request.userAgent };
        state.signatures = [
          ...state.signatures,
          {
            signerId: signer.id,
            kind: signer.kind,
            email: signer.email,
            ...proof,
            ip: request.ip,
            signedAt: nowIso(),
            version: this.content.version,
            contentHash: state.version.contentHash,
            superseded: false,
          },
        ];
        const what = `${proof.name} <${signer.email}> (${signer.kind}) signed version ${this.content.version}`;
        if (pendingSigners(state).length === 0) {
          state.acceptedAt = nowIso();
          this.moveTo('accepted', `${what}; every signer has signed`, signer.email);
        } else if (state.stage === 'sent') {
          this.moveTo('signing', what, signer.email);
        } else {
          log.info(`quote ${this.input.quoteId}: ${what}`);
        }
      },
    );
    setRecordedUpdate(
      on,
      declineQuoteUpdate,
      (request) => declineRule(state, request, Date.now()),
      (request) => {
        state.declinedAt = nowIso();
        state.declineReason = request.reason;
        const who = request.email ?? 'the customer';
        this.moveTo('declined', `declined by ${who}${request.reason ? `: ${request.reason}` : ''}`, who);
      },
    );
    setHandler(invoiceCollectionOutcomeSignal, (report: InvoiceCollectionOutcome) => this.paymentOutcome(report));
  }

  /** The payment invoice's collection workflow reports every outcome. */
  private paymentOutcome(report: InvoiceCollectionOutcome): void {
    const { state } = this;
    if (report.invoiceId !== state.invoiceId) {
      log.warn(`ignored outcome ${report.outcome} for invoice ${report.invoiceId}: not this quote's invoice`);
      return;
    }
    if (state.paymentStatus === 'paid' || state.paymentStatus === 'void') return;
    const next = { paid: 'paid', void: 'void', payment_failed: 'retrying', failed: 'failed', uncollectible: 'failed' } as const;
    state.paymentStatus = next[report.outcome];
    this.changed();
  }

  private async recordState(): Promise<void> {
    await recordActivities.recordQuoteState({ quoteId: this.input.quoteId, state: this.view(), recordedAt: nowIso() });
    upsertSearchAttributes([{ key: BillingStatusAttribute, value: this.state.stage }]);
  }

  /** The next reminder of the current version still to send: reminders due before it was sent are skipped. */
  nextReminder(): { days: number; at: number } | null {
    const { state, content } = this;
    if (!isSignable(state.stage) || state.sentAt === null) return null;
    const expiresAt = Date.parse(content.expiresAt);
    const sentAt = Date.parse(state.sentAt);
    const due = this.input.settings.reminderDaysBefore
      .map((days) => ({ days, at: expiresAt - days * DAY_MS }))
      .filter((r) => r.at > sentAt && !state.remindersSent.includes(`${content.version}:${r.days}`))
      .sort((a, b) => a.at - b.at);
    return due[0] ?? null;
  }
}
