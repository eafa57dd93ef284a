/**
 * The steps of the subscription's billing loop (workflow.ts): what happens at a timed event (trial
 * start, notices, scheduled pause and resume), at a period boundary, and when the subscription ends.
 */
import { log } from '@temporalio/workflow';
import { recordActivities } from '../shared/activity-proxies';
import { nowIso } from '../shared/clock';
import type { BillingPeriodView } from './contract';
import { billsNothingBeforeStart, collectHere, collectsInInvoiceWorkflow, invoicesLeftoversAtEnd } from './legacy';
import { applyCancel, applyPause, applyResume, canceledBeforeStart } from './lifecycle';
import type { SubscriptionEntity } from './subscription-state';
import { endsTerm, type TimedEvent } from './timeline';

export async function handleTimedEvent(sub: SubscriptionEntity, event: TimedEvent): Promise<void> {
  const { state, input } = sub;
  switch (event.kind) {
    case 'trial_start':
      state.status = 'trialing';
      return;
    case 'start':
      state.status = 'active';
      return;
    case 'trial_ending_notice':
      await recordActivities.sendSubscriptionNotice({ subscriptionId: input.subscriptionId, kind: 'trial_ending', effectiveAt: input.billingAnchor, sentAt: nowIso() });
      state.trialReminderSent = true;
      return;
    case 'term_notice':
      await recordActivities.sendSubscriptionNotice({
        subscriptionId: input.subscriptionId,
        kind: input.commitment!.renewal === 'renew' ? 'term_renewal' : 'term_expiry',
        effectiveAt: event.termEnd,
        termIndex: event.termIndex,
        sentAt: nowIso(),
      });
      state.termReminderSentFor = event.termIndex;
      return;
    case 'pause':
      applyPause(state, { resumeAt: state.scheduledPause?.resumeAt ?? null }, event.at);
      state.scheduledPause = null;
      return;
    case 'resume':
      applyResume(state);
      return;
  }
}

/** Invoices the period and hands the invoice to its collection workflow. */
async function billPeriod(sub: SubscriptionEntity, period: BillingPeriodView): Promise<void> {
  const { state } = sub;
  const invoice = await recordActivities.createSubscriptionInvoice({ subscriptionId: sub.input.subscriptionId, period, issuedAt: nowIso() });
  state.currentPeriod = period;
  state.nextPeriodIndex = period.index + 1;
  sub.changed();
  if (collectsInInvoiceWorkflow()) {
    await sub.startCollection(invoice, { firstPeriod: period.index === 0 });
    // Billing has begun; how payment goes is reported by the collection workflow.
    if (state.status === 'scheduled' || state.status === 'trialing') state.status = 'active';
  } else {
    await collectHere(invoice, sub.setStanding);
    sub.changed();
  }
}

/**
 * The boundary is the end of the current period and the start of the next one: the term may end or
 * renew, a plan change scheduled for period end applies, then the subscription ends, skips a paused
 * period or bills the next one. False when the subscription ended here.
 */
export async function passBoundary(sub: SubscriptionEntity, boundary: BillingPeriodView): Promise<boolean> {
  const { state, input } = sub;
  sub.billing = true;
  if (endsTerm(input, boundary.index) && !state.cancelAtPeriodEnd) {
    if (input.commitment!.renewal === 'expire') {
      // The committed term is over and does not renew: nothing more is billed.
      applyCancel(state, { atPeriodEnd: true, reason: 'term_expired' }, boundary.start);
    } else {
      state.termIndex = (state.termIndex ?? 0) + 1;
      sub.changed();
    }
  }
  if (state.scheduledPlanChangeId) {
    // The change waiting for this period end applies before the next period is invoiced (or never, if
    // the subscription ends here).
    await recordActivities.applyScheduledPlanChange({ subscriptionId: input.subscriptionId, changeId: state.scheduledPlanChangeId, supersede: state.cancelAtPeriodEnd });
    state.scheduledPlanChangeId = null;
    sub.changed();
  }
  if (state.cancelAtPeriodEnd) {
    applyCancel(state, { atPeriodEnd: false, reason: state.cancellationReason ?? 'cancellation_requested' }, boundary.start);
    sub.billing = false;
    sub.changed();
    return false;
  }
  if (state.status === 'paused') {
    // Nothing is billed while paused; billing picks up again on the anchor's calendar.
    state.nextPeriodIndex = boundary.index + 1;
    sub.changed();
  } else {
    await billPeriod(sub, boundary);
  }
  sub.billing = false;
  return true;
}

/**
 * Prorations queued by plan changes, or the partial period before a billing anchor used up to the end,
 * are owed even though no next period will be billed.
 */
export async function invoiceLeftovers(sub: SubscriptionEntity): Promise<void> {
  const { state, input } = sub;
  if (!invoicesLeftoversAtEnd()) return;
  if (canceledBeforeStart(input, state) && billsNothingBeforeStart()) {
    // Nothing was delivered: the partial period charge waiting for the first invoice is never billed
    // (it stays unbilled on a canceled subscription; nothing else can be waiting before the start).
    log.info('canceled before it started: nothing to bill');
    return;
  }
  const final = await recordActivities.invoiceLeftoverCharges({ subscriptionId: input.subscriptionId, issuedAt: state.canceledAt ?? nowIso() });
  if (final) await sub.startCollection(final);
}
