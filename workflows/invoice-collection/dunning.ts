/**
 * Charging an invoice and retrying a failed charge per the dunning policy.
 *
 * Where the retry schedule lives: the days come from the dunning policy,
 * `DunningPolicy.retryDaysAfterFirstFailure` in domain/dunning.ts (DEFAULT_DUNNING_POLICY: day +1,
 * +3, +5 after the first failure; the worker sets its own from DUNNING_RETRY_DAYS in config.ts, and a
 * starter may pass one in the workflow input). `retryDueAt` (domain/dunning.ts) turns "retry n" into
 * a time, adding an operator's grace days; `nextRetryTime` below counts skipped retries. This file
 * only waits for those times and acts on what comes back.
 *
 * A temporary decline schedules the next retry; a permanent decline, or the last retry failing,
 * exhausts the schedule: past due (or written off, per the policy), final notices, and the owner told.
 */
import { condition } from '@temporalio/workflow';
import { classifyDecline, retryDueAt } from '../../domain/dunning';
import { nowIso } from '../shared/clock';
import { chargeActivities, recordActivities } from './activity-proxies';
import type { InvoiceCollection } from './collection';
import { continueAsNewDue, idleForHandOver } from './hand-over';

/** How the process left a wait: done with it, or handing over to a fresh run (hand-over.ts). */
export type WaitEnd = 'done' | 'hand_over';

/** Whether the customer hears of failures by email (InvoiceCollectionInput.customerNotices). */
const emailsCustomer = (c: InvoiceCollection): boolean => c.input.customerNotices !== false;

/** The time of the next retry under the policy, counting skipped retries and granted grace days. */
function nextRetryTime(c: InvoiceCollection): number | null {
  return c.firstFailureAt === null ? null : retryDueAt(c.policy, c.firstFailureAt, c.retriesUsed + 1, c.view.graceDays);
}

/** Gives up on the schedule: past due or written off, final notices, and the owner's outcome. */
async function exhaust(c: InvoiceCollection, failedPaymentId: string | null): Promise<void> {
  const { view, input, policy } = c;
  view.nextRetryAt = null;
  view.pastDue = true;
  c.pastDueAt = nowIso();
  await c.recordProgress();
  if (policy.invoiceAfterFailure === 'uncollectible') {
    await recordActivities.markInvoiceUncollectible({ invoiceId: input.invoiceId });
  }
  view.stage = 'awaiting_payment';
  if (failedPaymentId) {
    if (emailsCustomer(c)) await recordActivities.sendPaymentFailedNotice({ paymentId: failedPaymentId });
    if (view.attempts === 1) await c.tellOwner('payment_failed');
  }
  if (emailsCustomer(c)) await recordActivities.sendFinalPaymentFailureNotice({ invoiceId: input.invoiceId, failureCode: view.lastFailureCode });
  await c.tellOwner('failed');
  // The owner already heard "failed" and applied the policy; the write-off must not undo that.
  if (policy.invoiceAfterFailure === 'uncollectible') await c.writeOff(false);
}

/** One charge attempt. Returns true when the invoice is paid. */
export async function attemptCharge(c: InvoiceCollection): Promise<boolean> {
  const { view, input } = c;
  view.stage = 'charging';
  view.nextRetryAt = null;
  view.attempts += 1;
  const result = await chargeActivities.chargeInvoice({ invoiceId: input.invoiceId, attempt: view.attempts, chargedAt: nowIso() });
  if (result.outcome !== 'failed') {
    c.amountPaid += c.amountDue;
    c.amountDue = 0;
    view.pastDue = false;
    c.pastDueAt = null;
    // chargeInvoice recorded the attempt count and cleared the schedule on the invoice itself.
    await c.settle('paid', result.paymentId, result.outcome === 'succeeded');
    return true;
  }
  view.lastFailureCode = result.failureCode;
  c.firstFailureAt ??= Date.now();
  const next = classifyDecline(result.failureCode) === 'temporary' && !view.pastDue ? nextRetryTime(c) : null;
  // The stage leaves `charging` only once the invoice row says what happened, so an update that
  // waited for this attempt answers with the invoice as it now is.
  if (next !== null) {
    view.nextRetryAt = new Date(next).toISOString();
    await c.recordProgress();
    view.stage = 'retry_scheduled';
    if (emailsCustomer(c)) await recordActivities.sendPaymentFailedNotice({ paymentId: result.paymentId, nextRetryAt: view.nextRetryAt });
    if (view.attempts === 1) await c.tellOwner('payment_failed');
  } else if (!view.pastDue) {
    await exhaust(c, result.paymentId);
  } else {
    // A retry after the schedule ended (new card, operator) failed too: still past due.
    await c.recordProgress();
    view.stage = 'awaiting_payment';
    if (emailsCustomer(c)) await recordActivities.sendPaymentFailedNotice({ paymentId: result.paymentId });
  }
  return false;
}

/**
 * Sleeps until the scheduled retry, following skips and grace extensions. Returns 'done' when it is
 * time to charge (or to give up, or collection stopped), 'hand_over' at a safe point to continue as new.
 */
async function waitForRetry(c: InvoiceCollection): Promise<WaitEnd> {
  const { view } = c;
  for (;;) {
    const next = nextRetryTime(c);
    if (next === null) return 'done'; // skipped past the last retry: the caller gives up
    if (view.nextRetryAt !== new Date(next).toISOString()) {
      view.nextRetryAt = new Date(next).toISOString();
      await c.recordProgress();
    }
    c.scheduleChanged += 1;
    const graceBefore = view.graceDays;
    const workToDo = () => c.stopCharging() || c.retryRequested || c.skipRequested || view.graceDays !== graceBefore;
    const woken = await condition(() => workToDo() || continueAsNewDue(c.input), Math.max(0, next - Date.now()));
    if (woken && !workToDo() && (await idleForHandOver(workToDo))) return 'hand_over';
    if (!woken || c.retryRequested || c.stopCharging()) return 'done';
    if (c.skipRequested) {
      c.skipRequested = false;
      c.retriesUsed += 1;
    }
    // Grace changed or a retry was skipped: compute the new time and wait again.
  }
}

/**
 * After a failed first charge: retry on the policy's schedule until paid, written off or the
 * schedule is exhausted; then, past due, charge again whenever a new card or an operator asks.
 */
export async function retryPerPolicy(c: InvoiceCollection): Promise<WaitEnd> {
  while (!c.stopCharging()) {
    if (c.view.stage === 'retry_scheduled') {
      if ((await waitForRetry(c)) === 'hand_over') return 'hand_over';
      if (c.stopCharging()) return 'done';
      if (!c.retryRequested && nextRetryTime(c) === null) {
        await exhaust(c, null); // the last retries were skipped
        continue;
      }
      c.retryRequested = false;
      c.retriesUsed += 1;
      await attemptCharge(c);
    } else {
      // Past due: wait for a payment, a new card or an operator's retry.
      const workToDo = () => c.stopCharging() || c.retryRequested;
      await condition(() => workToDo() || continueAsNewDue(c.input));
      if (!workToDo() && (await idleForHandOver(workToDo))) return 'hand_over';
      if (c.stopCharging()) return 'done';
      c.retryRequested = false;
      await attemptCharge(c);
    }
  }
  return 'done';
}
