/**
 * Pure rules for customer actions on a subscription. The workflow's signal and update handlers both
 * call these, so the Temporal UI and the API can never disagree on what is allowed.
 */
import type { CancelRequest, SubscriptionState } from './contract';

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
