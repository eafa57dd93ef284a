/**
 * Old command paths of the subscription workflow, kept so runs started before a change still replay
 * (test/replay/histories/subscription-v*.json). Each `patched()` id below records a marker in runs
 * that take the new path; a run without the marker replays the old one.
 *
 * When a patch can go: a subscription run never outlives `BOUNDARIES_PER_RUN` boundaries (workflow.ts)
 * and continues as new earlier when the server suggests it, and a new run records every patch marker.
 * So once no run started before the patch's commit is still open (list them in the Temporal UI:
 * `WorkflowType = "subscriptionWorkflow" AND ExecutionStatus = "Running" AND StartTime < "<date>"`),
 * replace `patched(id)` with `deprecatePatch(id)` and the new path for one release (histories with and
 * without the marker both replay), then delete the id, the old path and its replay history.
 */
import { patched } from '@temporalio/workflow';
import type { InvoiceSummary } from '../../activities';
import { chargeActivities, recordActivities } from '../shared/activity-proxies';
import { nowIso } from '../shared/clock';
import type { RecordedState } from '../shared/recorded-state';
import type { ChangePlanRequest, PaymentStanding, SubscriptionState } from './contract';
import { checkProrationDateOf, prorationDateInPeriod } from './lifecycle';

/**
 * Introduced in 5bf83f5 (2026-11-22). Can go when no subscription run started before 2026-11-23 is
 * open; history: subscription-v1-before-record-until-caught-up.json.
 */
export const RECORD_UNTIL_CAUGHT_UP = 'record-state-until-caught-up';
/**
 * Each period's invoice is collected by its own invoice collection workflow (dunning lives there).
 * Introduced in bc63ef3 (2026-11-22). Can go when no subscription run started before 2026-11-23 is
 * open; history: subscription-v2-before-collect-in-invoice-workflow.json.
 */
export const COLLECT_IN_INVOICE_WORKFLOW = 'collect-in-invoice-workflow';
/**
 * Charges still waiting for a next invoice when the subscription ends go onto a final invoice.
 * Introduced in b421650 (2026-11-22). Can go when no subscription run started before 2026-11-23 is open.
 */
export const INVOICE_LEFTOVERS_AT_END = 'invoice-leftover-charges-at-end';
/**
 * A prorated plan change may not be dated before the last one in its period (the credits would exceed
 * what was billed). Introduced in 931d5da (2026-12-02). Can go when no subscription run started before
 * 2026-12-03 is open; history: subscription-v4-plan-changes-out-of-order.json.
 */
export const PRORATION_DATES_IN_ORDER = 'proration-dates-in-order';
/**
 * Canceled before it started, a subscription bills nothing: its partial period before the anchor was
 * never delivered. Introduced in 3bfe1fc (2026-12-02). Can go when no subscription run started before
 * 2026-12-03 is open; history: subscription-v4-canceled-before-start-billed.json.
 */
export const NOTHING_BILLED_BEFORE_START = 'nothing-billed-when-canceled-before-start';

/** Before RECORD_UNTIL_CAUGHT_UP the loop wrote once per turn, even if a change landed meanwhile. */
export async function recordBeforeWaiting(recorded: RecordedState): Promise<void> {
  if (patched(RECORD_UNTIL_CAUGHT_UP)) await recorded.recordUntilCaughtUp();
  else if (recorded.behind) await recorded.record();
}

/** Before PRORATION_DATES_IN_ORDER a change only had to be dated inside the billed period. */
export function checkProrationDate(state: SubscriptionState, request: ChangePlanRequest): void {
  if (patched(PRORATION_DATES_IN_ORDER)) checkProrationDateOf(state, request);
  else prorationDateInPeriod(state, request.prorationDate);
}

export const collectsInInvoiceWorkflow = (): boolean => patched(COLLECT_IN_INVOICE_WORKFLOW);

/** Before COLLECT_IN_INVOICE_WORKFLOW the subscription charged (once, no dunning) or emailed its invoice itself. */
export async function collectHere(invoice: InvoiceSummary, setStanding: (standing: PaymentStanding) => void): Promise<void> {
  if (invoice.collectionMethod === 'send_invoice') {
    await recordActivities.sendInvoice({ invoiceId: invoice.invoiceId });
    setStanding('active');
    return;
  }
  const result = await chargeActivities.chargeInvoice({ invoiceId: invoice.invoiceId, attempt: 1, chargedAt: nowIso() });
  if (result.outcome === 'failed') {
    setStanding('past_due');
    await recordActivities.sendPaymentFailedNotice({ paymentId: result.paymentId });
  } else {
    setStanding('active');
    if (result.outcome === 'succeeded') await recordActivities.sendPaymentReceipt({ paymentId: result.paymentId });
  }
}

/** Before INVOICE_LEFTOVERS_AT_END nothing was invoiced when the subscription ended. */
export const invoicesLeftoversAtEnd = (): boolean => patched(INVOICE_LEFTOVERS_AT_END);

/** Before NOTHING_BILLED_BEFORE_START the leftovers were invoiced even when canceled before the start. */
export const billsNothingBeforeStart = (): boolean => patched(NOTHING_BILLED_BEFORE_START);
