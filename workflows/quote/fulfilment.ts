/**
 * An accepted quote, to cash: the one-time lines are invoiced (charged now or emailed with terms) or
 * split into an instalment plan (`setUpPayment`); once the invoice is settled (workflow.ts waits) the
 * recurring lines' subscriptions start and the confirmations go out (`completeFulfilment`). A payment
 * invoice voided before it is paid voids the quote.
 */
import { workflowInfo } from '@temporalio/workflow';
import { recordActivities } from '../shared/activity-proxies';
import { nowIso } from '../shared/clock';
import type { QuoteEntity } from './quote-state';

export async function setUpPayment(quote: QuoteEntity): Promise<void> {
  const { state, recorded, input } = quote;
  const { quoteId } = input;
  const { payment } = quote.content;
  const oneTimeTotal = state.version.totals.oneTime.total;
  const how =
    oneTimeTotal === 0
      ? 'no one-time charge; starting the subscriptions'
      : payment.oneTime === 'payment_schedule'
        ? `splitting ${oneTimeTotal} into a payment schedule`
        : payment.oneTime === 'charge_now'
          ? `charging ${oneTimeTotal} to the saved payment method`
          : `invoicing ${oneTimeTotal} with ${payment.paymentTerms} terms`;
  quote.moveTo('awaiting_payment', how, 'system');
  await recorded.recordUntilCaughtUp();

  if (oneTimeTotal > 0 && payment.oneTime === 'payment_schedule') {
    const plan = await recordActivities.startQuoteInstalmentPlan({ quoteId, firstPaymentDate: nowIso() });
    state.instalmentPlanId = plan.planId;
    state.paymentStatus = 'pending';
    quote.changed();
  } else if (oneTimeTotal > 0) {
    const invoice = await recordActivities.createQuoteInvoice({ quoteId, issuedAt: nowIso() });
    state.invoiceId = invoice.invoiceId;
    state.paymentStatus = 'pending';
    quote.changed();
    await recorded.recordUntilCaughtUp();
    await recordActivities.startInvoiceCollection({
      invoiceId: invoice.invoiceId,
      customerId: input.customerId,
      collectionMethod: payment.oneTime === 'charge_now' ? 'charge_automatically' : 'send_invoice',
      ownerWorkflowId: workflowInfo().workflowId,
      reportEveryOutcome: true,
    });
  }
}

export async function completeFulfilment(quote: QuoteEntity): Promise<void> {
  const { state } = quote;
  const { quoteId } = quote.input;
  const { payment } = quote.content;
  if (state.paymentStatus === 'void') {
    state.voidedAt = nowIso();
    state.voidReason = 'invoice_voided';
    quote.moveTo('voided', `its invoice ${state.invoiceId} was voided before it was paid`, 'system');
    return;
  }
  if (quote.content.lines.some((l) => l.recurring !== null)) {
    const started = await recordActivities.startQuoteSubscriptions({ quoteId, startDate: payment.subscriptionStartDate ?? nowIso(), now: nowIso() });
    state.subscriptionIds = started.subscriptionIds;
    quote.changed();
  }
  await recordActivities.sendQuoteConfirmations({ quoteId, paidAt: nowIso() });
  state.fulfilledAt = nowIso();
  const paid = state.instalmentPlanId
    ? `payment schedule ${state.instalmentPlanId} started`
    : state.invoiceId
      ? `invoice ${state.invoiceId} paid`
      : 'nothing to pay now';
  const subs = state.subscriptionIds.length > 0 ? `; subscriptions ${state.subscriptionIds.join(', ')} started` : '';
  quote.moveTo('fulfilled', `${paid}${subs}; confirmations sent`, 'system');
}
