/**
 * Pure rules for customer actions on a subscription. The workflow's signal and update handlers both
 * call these, so the Temporal UI and the API can never disagree on what is allowed.
 */
import type { BillingInterval } from '../../domain/frequency';
import { ProrationError, checkProrationDate } from '../../domain/proration';
import { fieldViolation, stateViolation } from '../../domain/rule-violation';
import type { CancelRequest, ChangePlanRequest, PauseRequest, SubscriptionState, SubscriptionWorkflowInput } from './contract';

const before = (a: string, b: string): boolean => Date.parse(a) < Date.parse(b);

/**
 * How far ahead a pause may be scheduled or end. Dates past year 9999 cannot be stored (PostgreSQL,
 * search attributes): a resume in 9999 made the next billing date 10000 and the state write failed for good.
 */
export const MAX_PAUSE_HORIZON_DAYS = 3653;
const DAY_MS = 86_400_000;

function requireInstant(value: string, field: string, now: string): void {
  if (Number.isNaN(Date.parse(value))) throw stateViolation(`${field} must be an ISO 8601 instant, got ${JSON.stringify(value)}`);
  if (Date.parse(value) - Date.parse(now) > MAX_PAUSE_HORIZON_DAYS * DAY_MS) {
    throw stateViolation(`${field} ${value} is more than ${MAX_PAUSE_HORIZON_DAYS} days (10 years) ahead`);
  }
}

/**
 * Pause now, or schedule one for `pauseAt`; either may end by itself at `resumeAt`. A subscription
 * that has not started (or is in its trial) can only have a pause scheduled from its first paid period.
 */
export function checkPause(state: SubscriptionState, request: PauseRequest, now: string, billingAnchor: string): void {
  if (state.status === 'paused') throw stateViolation('subscription is already paused');
  if (state.status === 'canceled') throw stateViolation('subscription is canceled');
  if (state.scheduledPause) {
    throw stateViolation(`a pause is already scheduled for ${state.scheduledPause.pauseAt}; resume the subscription to drop it first`);
  }
  const pauseAt = request.pauseAt ?? null;
  const resumeAt = request.resumeAt ?? null;
  if (pauseAt !== null) {
    requireInstant(pauseAt, 'pause_at', now);
    if (!before(now, pauseAt)) throw stateViolation(`pause_at ${pauseAt} is not in the future; leave it out to pause now`);
    if (before(pauseAt, billingAnchor)) {
      throw stateViolation(`pause_at ${pauseAt} is before the first paid period starts (${billingAnchor})`);
    }
  } else if (state.status === 'scheduled' || state.status === 'trialing') {
    throw stateViolation(
      state.status === 'trialing' ? 'subscription is in its trial; cancel it, or schedule a pause after the trial' : 'subscription has not started yet; cancel it instead',
    );
  }
  if (resumeAt !== null) {
    requireInstant(resumeAt, 'resume_at', now);
    const from = pauseAt ?? now;
    if (!before(from, resumeAt)) throw stateViolation(`resume_at ${resumeAt} must be after the pause starts (${from})`);
  }
}

export function checkResume(state: SubscriptionState): void {
  if (state.status !== 'paused' && !state.scheduledPause) {
    throw stateViolation(`only a paused subscription, or one with a pause scheduled, can be resumed (status is ${state.status})`);
  }
}

export function checkCancel(state: SubscriptionState, request: CancelRequest): void {
  if (state.status === 'canceled') throw stateViolation('subscription is already canceled');
  if (request.atPeriodEnd && state.cancelAtPeriodEnd) {
    throw stateViolation('subscription is already set to cancel at period end');
  }
  // Before period 0 a running subscription (a trial, or the partial period before a chosen anchor)
  // ends at the anchor; one that has not started has no period to end.
  if (request.atPeriodEnd && state.currentPeriod === null && state.status === 'scheduled') {
    throw stateViolation('subscription has no billed period to end yet; cancel it now instead');
  }
}

/**
 * True when the subscription was canceled before it started: before its start (a chosen billing anchor's
 * partial period), its trial, or its anchor, with no period billed. Nothing was delivered, so nothing is owed.
 */
export function canceledBeforeStart(input: Pick<SubscriptionWorkflowInput, 'billingAnchor' | 'stubStart' | 'trialStart'>, state: SubscriptionState): boolean {
  if (state.status !== 'canceled' || state.canceledAt === null || state.currentPeriod !== null) return false;
  const startsAt = input.stubStart ?? input.trialStart ?? input.billingAnchor;
  return Date.parse(state.canceledAt) < Date.parse(startsAt);
}

export function checkUndoCancel(state: SubscriptionState): void {
  if (state.status === 'canceled') throw stateViolation('subscription is already canceled; start a new one instead');
  if (!state.cancelAtPeriodEnd) throw stateViolation('subscription is not set to cancel at period end');
}

export function applyPause(state: SubscriptionState, request: PauseRequest, now: string): void {
  if (request.pauseAt) {
    state.scheduledPause = { pauseAt: request.pauseAt, resumeAt: request.resumeAt ?? null };
    return;
  }
  state.statusBeforePause = state.status === 'past_due' || state.status === 'unpaid' ? state.status : 'active';
  state.status = 'paused';
  state.pausedAt = now;
  state.resumeAt = request.resumeAt ?? null;
}

/** Resumes a paused subscription; on one that is not paused yet, drops the scheduled pause. */
export function applyResume(state: SubscriptionState): void {
  if (state.status !== 'paused') {
    state.scheduledPause = null;
    return;
  }
  state.status = state.statusBeforePause ?? 'active';
  state.statusBeforePause = null;
  state.pausedAt = null;
  state.resumeAt = null;
}

export function applyCancel(state: SubscriptionState, request: CancelRequest, now: string): void {
  state.cancellationReason = request.reason ?? 'cancellation_requested';
  if (request.atPeriodEnd) {
    state.cancelAtPeriodEnd = true;
    return;
  }
  state.status = 'canceled';
  state.canceledAt = now;
  state.statusBeforePause = null;
  state.scheduledPause = null;
  state.resumeAt = null;
}

export function applyUndoCancel(state: SubscriptionState): void {
  state.cancelAtPeriodEnd = false;
  state.cancellationReason = null;
}

/**
 * A plan change keeps the billing calendar (same interval); an immediate one needs the subscription
 * running (a paused one has no period to prorate against) and a proration date in the billed period.
 */
export function checkChangePlan(state: SubscriptionState, interval: BillingInterval, request: ChangePlanRequest): void {
  if (state.status === 'canceled') throw stateViolation('subscription is canceled');
  if (request.interval.unit !== interval.unit || request.interval.count !== interval.count) {
    throw stateViolation(
      `the new price bills every ${request.interval.count} ${request.interval.unit}(s) but the subscription every ${interval.count} ${interval.unit}(s); ` +
        'changing the billing frequency needs a new subscription',
    );
  }
  if (request.atPeriodEnd) {
    if (state.cancelAtPeriodEnd) throw stateViolation('subscription is set to cancel at period end');
    if (state.currentPeriod === null) throw stateViolation('subscription has no billed period to end yet; change it now instead');
    return;
  }
  if (state.status === 'paused') throw stateViolation('subscription is paused; resume it first, or change it at period end');
  if (state.status === 'scheduled' || state.currentPeriod === null) return; // nothing billed yet: nothing to prorate
  checkProrationDateOf(state, request);
}

/**
 * The proration date of an immediate change (domain/proration.ts `checkProrationDate`): in the billed
 * period and, when it prorates, not before the last prorated change in it (`lastProrationDate`), so no
 * credit exceeds what was charged for that time. A change without proration (`none`) credits nothing,
 * so only the period binds it.
 */
export function checkProrationDateOf(state: SubscriptionState, request: Pick<ChangePlanRequest, 'prorationDate' | 'prorationBehavior'>): void {
  const period = state.currentPeriod;
  if (period === null) throw fieldViolation('proration_date', `proration_date ${request.prorationDate} is outside the current billing period; preview the change again`);
  const last = request.prorationBehavior === 'none' ? null : (state.lastProrationDate ?? null);
  try {
    checkProrationDate(period, request.prorationDate, last);
  } catch (err) {
    if (err instanceof ProrationError) throw fieldViolation('proration_date', `${err.message}; preview the change again`);
    throw err;
  }
}

/** Only the period: how changes were checked before their dates had to be in order (histories from then). */
export function prorationDateInPeriod(state: SubscriptionState, prorationDate: string): void {
  const period = state.currentPeriod;
  const at = Date.parse(prorationDate);
  if (period === null || Number.isNaN(at) || at < Date.parse(period.start) || at >= Date.parse(period.end)) {
    throw fieldViolation(
      'proration_date',
      `proration_date ${prorationDate} is outside the current billing period${period ? ` (${period.start} to ${period.end})` : ''}; preview the change again`,
    );
  }
}
