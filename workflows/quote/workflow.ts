/**
 * One quote, from draft to cash. Stages (domain/quote.ts):
 *
 *   draft ─send─▶ pending_approval (discount above the threshold) ─approve─▶ sent ─sign─▶ signing ─all signed─▶ accepted
 *     ▲                 │ reject                                              │ revise ▲                    │
 *     └─────────────────┘                                                     └────────┘                    ▼
 *   accepted ─▶ awaiting_payment (invoice collected, or instalment plan started) ─paid─▶ fulfilled
 *
 * Side paths: declined (by a customer signer), expired (a timer at the expiry date), voided (by sales,
 * or the payment invoice voided). A revision supersedes the current version: its signatures stop
 * counting, it is approved again if needed and re-sent. Reminders go to customer signers who have not
 * signed, the configured numbers of days before the expiry date. Every stage change is kept with its
 * reason (the `transitions` the query returns and the quote record shows), and logged.
 *
 * Payment: the one-time lines become one invoice, charged now (`charge_now`) or emailed with payment
 * terms (`send_invoice`) by the invoice's own collection workflow, which reports back through
 * `invoiceCollectionOutcomeSignal`; or an instalment plan is started (`payment_schedule`; by an
 * activity, not as a child workflow). Then the recurring lines' subscriptions are started (they
 * invoice themselves), and the confirmations, welcome email, internal notification and onboarding
 * task follow. Quotes live days or weeks: one run, no continue-as-new.
 */
import { allHandlersFinished, condition, log, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { BillingActivities } from '../../activities';
import type { QuoteStage } from '../../domain/quote';
import { BillingStatusAttribute } from '../shared/search-attributes';
import { RECORD_ACTIVITY_OPTIONS } from '../shared/activity-options';
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
  isOpen,
  isPastExpiry,
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

const DAY_MS = 24 * 60 * 60 * 1000;

const acts = proxyActivities<BillingActivities>(RECORD_ACTIVITY_OPTIONS);

const nowIso = (): string => new Date(Date.now()).toISOString();

const percent = (ppm: number): string => `${(ppm / 10_000).toFixed(2).replace(/\.?0+$/, '')}%`;

export async function quoteWorkflow(input: QuoteWorkflowInput): Promise<QuoteView> {
  const { quoteId, settings } = input;
  const state: QuoteState = {
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
  /** Emails the current version still owes its customer signers: the first send, or a revision. */
  let emailsDue: 'quote_sent' | 'quote_revised' | null = null;

  // `version` counts state changes; `recordedVersion` is the last one written to the database.
  let version = 1;
  let recordedVersion = 0;
  const changed = (): void => {
    version += 1;
  };

  const content = () => state.version.content;

  function waitingFor(): string {
    const expires = content().expiresAt;
    switch (state.stage) {
      case 'draft':
        return 'sales to finish the draft and send it';
      case 'pending_approval':
        return `an admin to approve the ${percent(state.version.totals.discountPpm)} discount (expires ${expires})`;
      case 'sent':
      case 'signing': {
        const pending = pendingSigners(state);
        const who = content().signing.order === 'sequential' ? pending.slice(0, 1) : pending;
        return `signature of ${who.map((s) => `${s.name} <${s.email}>`).join(', ')} on version ${content().version} (expires ${expires})`;
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

  const paymentSettled = (): boolean => state.paymentStatus === 'paid' || state.paymentStatus === 'void';

  const view = (): QuoteView => ({ quoteId, ...state, waitingFor: waitingFor() });

  /** Moves to `to`, keeping why: the transition list is the quote's own audit trail. */
  function moveTo(to: QuoteStage, reason: string, by: string): void {
    const from = state.stage;
    state.transitions = [...state.transitions, { at: nowIso(), from, to, reason, by }];
    state.stage = to;
    log.info(`quote ${quoteId}: ${from} -> ${to}: ${reason}`);
    changed();
  }

  /** Updates answer once their change is in the database, so the caller's next read sees it. */
  const answerWhenRecorded = async (): Promise<QuoteView> => {
    const target = version;
    await condition(() => recordedVersion >= target);
    return view();
  };

  /** An update whose rule the validator checks (so a refusal never reaches history) and the handler applies. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's own constraint on update arguments
  function setQuoteUpdate<Args extends any[]>(
    definition: UpdateDefinition<QuoteView, Args>,
    check: (...args: Args) => void,
    apply: (...args: Args) => void,
  ): void {
    setHandler<QuoteView, Args, UpdateDefinition<QuoteView, Args>>(
      definition,
      async (...args: Args) => {
        apply(...args);
        changed();
        return answerWhenRecorded();
      },
      { validator: (...args: Args) => asQuoteRuleFailure(() => check(...args)) },
    );
  }

  function sendOut(by: string, reason: string): void {
    state.sentAt = nowIso();
    emailsDue = state.supersededHashes.length > 0 ? 'quote_revised' : 'quote_sent';
    moveTo('sent', reason, by);
  }

  setHandler(getQuoteQuery, view);
  setHandler(waitUntilQuoteRecordedUpdate, answerWhenRecorded);

  setQuoteUpdate(
    updateQuoteDraftUpdate,
    (request) => updateDraftRule(state, request),
    (request) => {
      state.version = request.version;
    },
  );
  setQuoteUpdate(
    sendQuoteUpdate,
    (_request) => sendRule(state, Date.now()),
    ({ by }) => {
      if (state.version.requiresApproval) {
        moveTo('pending_approval', `the ${percent(state.version.totals.discountPpm)} discount is above the approval threshold`, by);
      } else {
        sendOut(by, 'sent to the customer');
      }
    },
  );
  setQuoteUpdate(
    approveQuoteUpdate,
    (_request) => approvalRule(state),
    ({ by }) => {
      state.approvedBy = by;
      state.approvedAt = nowIso();
      sendOut(by, `discount of ${percent(state.version.totals.discountPpm)} approved by ${by}; sent to the customer`);
    },
  );
  setQuoteUpdate(
    rejectQuoteUpdate,
    (_request) => approvalRule(state),
    ({ by, reason }) => moveTo('draft', `approval refused by ${by}: ${reason}`, by),
  );
  setQuoteUpdate(
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
        moveTo('pending_approval', `${why}; the ${percent(request.version.totals.discountPpm)} discount is above the approval threshold`, request.by);
      } else {
        sendOut(request.by, why);
      }
    },
  );
  setQuoteUpdate(
    voidQuoteUpdate,
    (_request) => voidRule(state),
    ({ by, reason }) => {
      state.voidedAt = nowIso();
      state.voidReason = reason ?? 'voided';
      emailsDue = null;
      moveTo('voided', `voided by ${by}${reason ? `: ${reason}` : ''}`, by);
    },
  );
  setQuoteUpdate(
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
          version: content().version,
          contentHash: state.version.contentHash,
          superseded: false,
        },
      ];
      const what = `${proof.name} <${signer.email}> (${signer.kind}) signed version ${content().version}`;
      if (pendingSigners(state).length === 0) {
        state.acceptedAt = nowIso();
        moveTo('accepted', `${what}; every signer has signed`, signer.email);
      } else if (state.stage === 'sent') {
        moveTo('signing', what, signer.email);
      } else {
        log.info(`quote ${quoteId}: ${what}`);
      }
    },
  );
  setQuoteUpdate(
    declineQuoteUpdate,
    (request) => declineRule(state, request, Date.now()),
    (request) => {
      state.declinedAt = nowIso();
      state.declineReason = request.reason;
      const who = request.email ?? 'the customer';
      moveTo('declined', `declined by ${who}${request.reason ? `: ${request.reason}` : ''}`, who);
    },
  );

  /** The payment invoice's collection workflow reports every outcome. */
  setHandler(invoiceCollectionOutcomeSignal, (report: InvoiceCollectionOutcome) => {
    if (report.invoiceId !== state.invoiceId) {
      log.warn(`ignored outcome ${report.outcome} for invoice ${report.invoiceId}: not this quote's invoice`);
      return;
    }
    if (state.paymentStatus === 'paid' || state.paymentStatus === 'void') return;
    const next = { paid: 'paid', void: 'void', payment_failed: 'retrying', failed: 'failed', uncollectible: 'failed' } as const;
    state.paymentStatus = next[report.outcome];
    changed();
  });

  async function recordState(): Promise<void> {
    const target = version;
    await acts.recordQuoteState({ quoteId, state: view(), recordedAt: nowIso() });
    upsertSearchAttributes([{ key: BillingStatusAttribute, value: state.stage }]);
    recordedVersion = Math.max(recordedVersion, target);
  }

  /** Sleeps until `at` unless a change (update or signal) comes first; true when the time came. */
  async function sleepUntil(at: number): Promise<boolean> {
    const seen = version;
    if (at === Number.POSITIVE_INFINITY) {
      await condition(() => version !== seen);
      return false;
    }
    const wait = at - Date.now();
    if (wait <= 0) return true;
    return !(await condition(() => version !== seen, wait));
  }

  /** The next reminder of the current version still to send: reminders due before it was sent are skipped. */
  function nextReminder(): { days: number; at: number } | null {
    if (!isSignable(state.stage) || state.sentAt === null) return null;
    const expiresAt = Date.parse(content().expiresAt);
    const sentAt = Date.parse(state.sentAt);
    const due = settings.reminderDaysBefore
      .map((days) => ({ days, at: expiresAt - days * DAY_MS }))
      .filter((r) => r.at > sentAt && !state.remindersSent.includes(`${content().version}:${r.days}`))
      .sort((a, b) => a.at - b.at);
    return due[0] ?? null;
  }

  // Until accepted (or closed): send what is due, remind, expire.
  while (isOpen(state.stage)) {
    while (recordedVersion < version) await recordState();
    if (!isOpen(state.stage)) break;
    if (emailsDue !== null && isSignable(state.stage)) {
      const kind = emailsDue;
      await acts.sendQuoteEmails({ quoteId, version: content().version, kind, signerIds: pendingSigners(state).filter((s) => s.kind === 'customer').map((s) => s.id) });
      // A revision that arrived while sending owes its own emails.
      if (emailsDue === kind) emailsDue = null;
      continue;
    }
    if (isPastExpiry(state, Date.now())) {
      state.expiredAt = nowIso();
      moveTo('expired', `reached its expiry date ${content().expiresAt} without every signature`, 'system');
      continue;
    }
    const reminder = nextReminder();
    const expiresAt = Date.parse(content().expiresAt);
    if (reminder && reminder.at < expiresAt) {
      if (!(await sleepUntil(reminder.at))) continue;
      const unsigned = pendingSigners(state).filter((s) => s.kind === 'customer');
      if (isSignable(state.stage) && unsigned.length > 0) {
        await acts.sendQuoteReminder({ quoteId, version: content().version, daysBefore: reminder.days, signerIds: unsigned.map((s) => s.id) });
      }
      state.remindersSent = [...state.remindersSent, `${content().version}:${reminder.days}`];
      changed();
      continue;
    }
    await sleepUntil(expiresAt);
  }

  if (state.stage === 'accepted') {
    const { payment } = content();
    const oneTimeTotal = state.version.totals.oneTime.total;
    const how =
      oneTimeTotal === 0
        ? 'no one-time charge; starting the subscriptions'
        : payment.oneTime === 'payment_schedule'
          ? `splitting ${oneTimeTotal} into a payment schedule`
          : payment.oneTime === 'charge_now'
            ? `charging ${oneTimeTotal} to the saved payment method`
            : `invoicing ${oneTimeTotal} with ${payment.paymentTerms} terms`;
    moveTo('awaiting_payment', how, 'system');
    while (recordedVersion < version) await recordState();

    if (oneTimeTotal > 0 && payment.oneTime === 'payment_schedule') {
      const plan = await acts.startQuoteInstalmentPlan({ quoteId, firstPaymentDate: nowIso() });
      state.instalmentPlanId = plan.planId;
      state.paymentStatus = 'pending';
      changed();
    } else if (oneTimeTotal > 0) {
      const invoice = await acts.createQuoteInvoice({ quoteId, issuedAt: nowIso() });
      state.invoiceId = invoice.invoiceId;
      state.paymentStatus = 'pending';
      changed();
      while (recordedVersion < version) await recordState();
      await acts.startInvoiceCollection({
        invoiceId: invoice.invoiceId,
        customerId: input.customerId,
        collectionMethod: payment.oneTime === 'charge_now' ? 'charge_automatically' : 'send_invoice',
        ownerWorkflowId: workflowInfo().workflowId,
        reportEveryOutcome: true,
      });
      while (!paymentSettled()) {
        while (recordedVersion < version) await recordState();
        await sleepUntil(Number.POSITIVE_INFINITY);
      }
    }

    if (state.paymentStatus === 'void') {
      state.voidedAt = nowIso();
      state.voidReason = 'invoice_voided';
      moveTo('voided', `its invoice ${state.invoiceId} was voided before it was paid`, 'system');
    } else {
      if (content().lines.some((l) => l.recurring !== null)) {
        const started = await acts.startQuoteSubscriptions({ quoteId, startDate: payment.subscriptionStartDate ?? nowIso(), now: nowIso() });
        state.subscriptionIds = started.subscriptionIds;
        changed();
      }
      await acts.sendQuoteConfirmations({ quoteId, paidAt: nowIso() });
      state.fulfilledAt = nowIso();
      const paid = state.instalmentPlanId
        ? `payment schedule ${state.instalmentPlanId} started`
        : state.invoiceId
          ? `invoice ${state.invoiceId} paid`
          : 'nothing to pay now';
      const subs = state.subscriptionIds.length > 0 ? `; subscriptions ${state.subscriptionIds.join(', ')} started` : '';
      moveTo('fulfilled', `${paid}${subs}; confirmations sent`, 'system');
    }
  }

  while (recordedVersion < version) await recordState();
  await condition(allHandlersFinished);
  return view();
}
