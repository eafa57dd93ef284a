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
 * task follow (fulfilment.ts). State and handlers: quote-state.ts.
 */
import { allHandlersFinished, condition, continueAsNew } from '@temporalio/workflow';
import { recordActivities } from '../shared/activity-proxies';
import { nowIso } from '../shared/clock';
import type { QuoteView, QuoteWorkflowInput } from './contract';
import { RunLength } from '../shared/run-length';
import { completeFulfilment, setUpPayment } from './fulfilment';
import { QuoteEntity } from './quote-state';
import { settledDuringWrite } from './legacy';
import { isOpen, isPastExpiry, isSignable, pendingSigners } from './rules';

export async function quoteWorkflow(input: QuoteWorkflowInput): Promise<QuoteView> {
  const runLength = new RunLength(input.historyEventsPerRun, () => quote.updates.appliedCount);
  const quote = new QuoteEntity(input);
  quote.registerHandlers();
  const { state, recorded } = quote;
  const { quoteId } = input;
  /** Sleeps until `at` or a change; a long history (many updates) wakes it to hand over. */
  const sleepUntil = (at: number): Promise<boolean> => recorded.sleepUntil(at, runLength.due);
  /** Hands over to a new run with the whole quote, once the handlers in flight have answered. */
  const continueInNewRun = async (): Promise<never> => {
    await recorded.finishHandlers();
    return continueAsNew<typeof quoteWorkflow>({ ...input, carriedState: state, carriedEmailsDue: quote.emailsDue, carriedUpdateIds: quote.updates.carry() });
  };

  // Until accepted (or closed): send what is due, remind, expire.
  while (isOpen(state.stage)) {
    await recorded.recordUntilCaughtUp();
    if (!isOpen(state.stage)) break;
    if (runLength.due()) return continueInNewRun();
    if (quote.emailsDue !== null && isSignable(state.stage)) {
      const kind = quote.emailsDue;
      const signerIds = pendingSigners(state).filter((s) => s.kind === 'customer').map((s) => s.id);
      await recordActivities.sendQuoteEmails({ quoteId, version: quote.content.version, kind, signerIds });
      // A revision that arrived while sending owes its own emails.
      if (quote.emailsDue === kind) quote.emailsDue = null;
      continue;
    }
    if (isPastExpiry(state, Date.now())) {
      state.expiredAt = nowIso();
      quote.moveTo('expired', `reached its expiry date ${quote.content.expiresAt} without every signature`, 'system');
      continue;
    }
    const reminder = quote.nextReminder();
    const expiresAt = Date.parse(quote.content.expiresAt);
    if (reminder && reminder.at < expiresAt) {
      if (!(await sleepUntil(reminder.at))) continue;
      const unsigned = pendingSigners(state).filter((s) => s.kind === 'customer');
      if (isSignable(state.stage) && unsigned.length > 0) {
        await recordActivities.sendQuoteReminder({ quoteId, version: quote.content.version, daysBefore: reminder.days, signerIds: unsigned.map((s) => s.id) });
      }
      state.remindersSent = [...state.remindersSent, `${quote.content.version}:${reminder.days}`];
      quote.changed();
      continue;
    }
    await sleepUntil(expiresAt);
  }

  if (state.stage === 'accepted') await setUpPayment(quote);
  if (state.stage === 'awaiting_payment') {
    // An invoice is collected by its own workflow, which reports back; an instalment plan pays on its own.
    while (state.invoiceId !== null && !quote.paymentSettled()) {
      await recorded.recordUntilCaughtUp();
      if (runLength.due()) return continueInNewRun();
      // The outcome may have come during that write: sleeping now would wait for a change already made.
      if (settledDuringWrite(quote.paymentSettled())) break;
      await sleepUntil(Number.POSITIVE_INFINITY);
    }
    await completeFulfilment(quote);
  }

  await recorded.recordUntilCaughtUp();
  await condition(allHandlersFinished);
  return quote.view();
}
