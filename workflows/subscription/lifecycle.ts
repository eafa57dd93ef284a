/**
 * Pure rules for customer actions on a subscription. The workflow's signal and update handlers both
 * call these, so the Temporal UI and the API can never disagree on what is allowed.
 */
import type { BillingInterval } from '../../domain/frequency';
import type { CancelRequest, ChangePlanRequest, SubscriptionState } from './contract';

/** Thrown by a validator: the update is rejected before it is written to history. */
export class LifecycleRuleError extends Error {
  override readonly name = 'LifecycleRuleError';
}

export function checkPause(state: SubscriptionState): void {
  if (state.status === 'paused') throw new LifecycleRuleError('subscription is already paused');
  if (state.status === 'canceled') throw new LifecycleRuleError('subscription is canceled');
  if (state.status === 'scheduled') throw new LifecycleRuleError('subscription has not started yet; cancel it instead');
}

export function checkResume(state: SubscriptionState): void {
  if (state.status !== 'paused') throw new LifecycleRuleError(`only a paused subscription can be resumed (status is ${state.status})`);
}

export function checkCancel(state: SubscriptionState, request: CancelRequest): void {
  if (state.status === 'canceled') throw new LifecycleRuleError('subscription is already canceled');
  if (request.atPeriodEnd && state.cancelAtPeriodEnd) {
    throw new LifecycleRuleError('subscription is already set to cancel at period end');
  }
  if (request.atPeriodEnd && state.currentPeriod === null) {
    throw new LifecycleRuleError('subscription has no billed period to end yet; cancel it now instead');
  }
}

export function applyPause(state: SubscriptionState, now: string): void {
  state.statusBeforePause = state.status === 'past_due' || state.status === 'unpaid' ? state.status : 'active';
  state.status = 'paused';
  state.pausedAt = now;
}

export function applyResume(state: SubscriptionState): void {
  state.status = state.statusBeforePause ?? 'active';
  state.statusBeforePause = null;
  state.pausedAt = null;
}

export function applyCancel(state: SubscriptionState, request: CancelRequest, now: string): void {
  if (request.atPeriodEnd) {
    state.cancelAtPeriodEnd = true;
    return;
  }
  state.status = 'canceled';
  state.canceledAt = now;
  state.statusBeforePause = null;
}

/**
 * A plan change keeps the billing calendar (same interval); an immediate one needs the subscription
 * running (a paused one has no period to prorate against) and a proration date in the billed period.
 */
export function checkChangePlan(state: SubscriptionState, interval: BillingInterval, request: ChangePlanRequest): void {
  if (state.status === 'canceled') throw new LifecycleRuleError('subscription is canceled');
  if (request.interval.unit !== interval.unit || request.interval.count !== interval.count) {
    throw new LifecycleRuleError(
      `the new price bills every ${request.interval.count} ${request.interval.unit}(s) but the subscription every ${interval.count} ${interval.unit}(s); ` +
        'changing the billing frequency needs a new subscription',
    );
  }
  if (request.atPeriodEnd) {
    if (state.cancelAtPeriodEnd) throw new LifecycleRuleError('subscription is set to cancel at period end');
    if (state.currentPeriod === null) throw new LifecycleRuleError('subscription has no billed period to end yet; change it now instead');
    return;
  }
  if (state.status === 'paused') throw new LifecycleRuleError('subscription is paused; resume it first, or change it at period end');
  if (state.status === 'scheduled' || state.currentPeriod === null) return; // nothing billed yet: nothing to prorate
  prorationDateInPeriod(state, request.prorationDate);
}

export function prorationDateInPeriod(state: SubscriptionState, prorationDate: string): void {
  const period = state.currentPeriod;
  const at = Date.parse(prorationDate);
  if (period === null || Number.isNaN(at) || at < Date.parse(period.start) || at >= Date.parse(period.end)) {
    throw new LifecycleRuleError(
      `proration_date ${prorationDate} is outside the current billing period${period ? ` (${period.start} to ${period.end})` : ''}; preview the change again`,
    );
  }
}
