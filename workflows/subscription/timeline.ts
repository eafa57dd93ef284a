/**
 * What a subscription waits for besides its next billing boundary: the trial (or a start before a
 * chosen billing anchor) starting, the
 * trial-ending notice, the reminder before a commitment term ends, a pause scheduled for later and an
 * automatic resume. Pure: the workflow sleeps until the earliest of these and the boundary.
 */
import { localDaysBefore } from '../../domain/calendar';
import type { BillingPeriodView, SubscriptionState, SubscriptionWorkflowInput } from './contract';

export type TimedEvent =
  | { kind: 'trial_start'; at: string }
  | { kind: 'start'; at: string }
  | { kind: 'trial_ending_notice'; at: string }
  | { kind: 'term_notice'; at: string; termIndex: number; termEnd: string }
  | { kind: 'pause'; at: string }
  | { kind: 'resume'; at: string };

type PeriodAt = (index: number) => BillingPeriodView;

/** Where commitment term `termIndex` starts and ends (both billing boundaries). */
export function termBounds(input: SubscriptionWorkflowInput, periodAt: PeriodAt, termIndex: number): { start: string; end: string } {
  const per = input.commitment!.periodsPerTerm;
  return { start: periodAt(termIndex * per).start, end: periodAt((termIndex + 1) * per).start };
}

/** True when the boundary at `boundaryIndex` ends a commitment term. */
export function endsTerm(input: SubscriptionWorkflowInput, boundaryIndex: number): boolean {
  return input.commitment !== undefined && boundaryIndex > 0 && boundaryIndex % input.commitment.periodsPerTerm === 0;
}

/** Every pending event, earliest first (ties keep this order: a resume or pause lands before a notice). */
export function pendingEvents(input: SubscriptionWorkflowInput, state: SubscriptionState, periodAt: PeriodAt): TimedEvent[] {
  if (state.status === 'canceled') return [];
  const events: TimedEvent[] = [];
  if (state.status === 'paused' && state.resumeAt) events.push({ kind: 'resume', at: state.resumeAt });
  if (state.scheduledPause) events.push({ kind: 'pause', at: state.scheduledPause.pauseAt });
  if (state.status === 'scheduled' && input.trialStart) events.push({ kind: 'trial_start', at: input.trialStart });
  if (state.status === 'scheduled' && input.stubStart) events.push({ kind: 'start', at: input.stubStart });

  const inTrial = (state.status === 'scheduled' || state.status === 'trialing') && input.trialStart !== undefined;
  if (inTrial && !state.trialReminderSent && !state.cancelAtPeriodEnd && (input.trialEndingNoticeDays ?? 0) > 0) {
    const due = localDaysBefore(input.billingAnchor, input.timeZone, input.trialEndingNoticeDays!);
    // A trial shorter than the notice period is told when it starts.
    events.push({ kind: 'trial_ending_notice', at: Date.parse(due) < Date.parse(input.trialStart!) ? input.trialStart! : due });
  }

  const commitment = input.commitment;
  const termIndex = state.termIndex ?? 0;
  if (commitment && commitment.reminderDaysBefore > 0 && !state.cancelAtPeriodEnd && state.termReminderSentFor !== termIndex) {
    const { end } = termBounds(input, periodAt, termIndex);
    events.push({ kind: 'term_notice', at: localDaysBefore(end, input.timeZone, commitment.reminderDaysBefore), termIndex, termEnd: end });
  }
  return events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}
