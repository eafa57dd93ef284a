/**
 * send_invoice collection: the invoice is emailed and the customer pays it (transfer, webhook,
 * operator), or pays it with their saved card on request. No retry schedule: one reminder once it is
 * overdue.
 */
import { condition } from '@temporalio/workflow';
import { DAY_MS, nowIso } from '../shared/clock';
import { chargeActivities, recordActivities } from './activity-proxies';
import type { InvoiceCollection } from './collection';
import type { WaitEnd } from './dunning';
import { continueAsNewDue, idleForHandOver } from './hand-over';

/**
 * An emailed invoice paid with the customer's saved card (from the portal or by an operator): one
 * charge, no retry schedule; a decline leaves it emailed and open, as it was.
 */
export async function chargeEmailedInvoice(c: InvoiceCollection): Promise<void> {
  const { view, input } = c;
  view.stage = 'charging';
  view.attempts += 1;
  const result = await chargeActivities.chargeInvoice({ invoiceId: input.invoiceId, attempt: view.attempts, chargedAt: nowIso() });
  if (result.outcome !== 'failed') {
    c.amountPaid += c.amountDue;
    c.amountDue = 0;
    await c.settle('paid', result.paymentId, result.outcome === 'succeeded');
    return;
  }
  view.lastFailureCode = result.failureCode;
  await c.recordProgress();
  if (!c.settled) view.stage = c.writtenOff ? 'uncollectible' : 'awaiting_payment';
  await recordActivities.sendPaymentFailedNotice({ paymentId: result.paymentId });
}

/**
 * Emails the invoice (copy 0). The overdue reminder goes out a day after the due date (a day after
 * sending for "due on receipt"), so nobody is reminded of an invoice they received a minute ago.
 */
export async function emailTheInvoice(c: InvoiceCollection): Promise<void> {
  await recordActivities.sendInvoice({ invoiceId: c.input.invoiceId });
  c.remindAt = Math.max(c.invoice.dueDate === null ? 0 : Date.parse(c.invoice.dueDate), Date.now()) + DAY_MS;
}

/** Waits for payment until the reminder is due; unpaid by then, the invoice is past due and the customer reminded. */
export async function remindWhenOverdue(c: InvoiceCollection): Promise<WaitEnd> {
  const remindAt = c.remindAt ?? Date.now();
  const workToDo = () => c.stopCharging();
  for (;;) {
    const woken = await condition(() => workToDo() || continueAsNewDue(c.input), Math.max(1, remindAt - Date.now()));
    if (woken && !workToDo()) {
      if (await idleForHandOver(workToDo)) return 'hand_over';
      continue;
    }
    if (woken) return 'done'; // paid, void or written off in time
    break;
  }
  const { view } = c;
  view.pastDue = true;
  c.pastDueAt = nowIso();
  await c.recordProgress();
  await recordActivities.sendInvoiceOverdueReminder({ invoiceId: c.input.invoiceId });
  await c.tellOwner('payment_failed');
  return 'done';
}
