/**
 * The subscription workflow's pure rules for dated events (workflows/subscription/timeline.ts) and
 * for pause, resume and undoing a cancel (lifecycle.ts).
 */
import { billingPeriod } from '../../domain/calendar';
import type { SubscriptionState, SubscriptionWorkflowInput } from '../../workflows/subscription/contract';
import { RuleViolation } from '../../domain/rule-violation';
import { applyPause, applyResume, applyUndoCancel, checkCancel, checkPause, checkResume, checkUndoCancel } from '../../workflows/subscription/lifecycle';
import { endsTerm, pendingEvents, termBounds } from '../../workflows/subscription/timeline';

const input = (extra: Partial<SubscriptionWorkflowInput> = {}): SubscriptionWorkflowInput => ({
  subscriptionId: 'sub_1',
  customerId: 'cus_1',
  billingAnchor: '2027-01-15T00:00:00.000Z',
  timeZone: 'UTC',
  interval: { unit: 'month', count: 3 },
  ...extra,
});
const state = (extra: Partial<SubscriptionState> = {}): SubscriptionState => ({
  status: 'active',
  nextPeriodIndex: 1,
  currentPeriod: null,
  cancelAtPeriodEnd: false,
  pausedAt: null,
  canceledAt: null,
  statusBeforePause: null,
  ...extra,
});
const periodAt = (i: SubscriptionWorkflowInput) => (n: number) => billingPeriod(i.billingAnchor, i.timeZone, i.interval, n);

describe('commitment terms', () => {
  const yearly = input({ commitment: { periodsPerTerm: 4, renewal: 'renew', reminderDaysBefore: 30 } });

  test('term k spans periods 4k..4k+4 and ends at their boundaries', () => {
    expect(termBounds(yearly, periodAt(yearly), 1)).toEqual({ start: '2028-01-15T00:00:00.000Z', end: '2029-01-15T00:00:00.000Z' });
    expect([0, 1, 3, 4, 5, 8].map((b) => endsTerm(yearly, b))).toEqual([false, false, false, true, false, true]);
    expect(endsTerm(input(), 4)).toBe(false);
  });

  test('the reminder is due the configured days before the running term ends, once per term', () => {
    expect(pendingEvents(yearly, state(), periodAt(yearly))).toEqual([
      { kind: 'term_notice', at: '2027-12-16T00:00:00.000Z', termIndex: 0, termEnd: '2028-01-15T00:00:00.000Z' },
    ]);
    expect(pendingEvents(yearly, state({ termReminderSentFor: 0 }), periodAt(yearly))).toEqual([]);
    expect(pendingEvents(yearly, state({ termIndex: 1, termReminderSentFor: 0 }), periodAt(yearly))[0]).toMatchObject({ termIndex: 1, termEnd: '2029-01-15T00:00:00.000Z' });
    // Nothing to announce for a subscription that ends, or with reminders off.
    expect(pendingEvents(yearly, state({ cancelAtPeriodEnd: true }), periodAt(yearly))).toEqual([]);
    expect(pendingEvents(yearly, state({ status: 'canceled' }), periodAt(yearly))).toEqual([]);
    const silent = input({ commitment: { periodsPerTerm: 4, renewal: 'expire', reminderDaysBefore: 0 } });
    expect(pendingEvents(silent, state(), periodAt(silent))).toEqual([]);
  });
});

describe('trials', () => {
  const trial = input({ trialStart: '2027-01-01T00:00:00.000Z', trialEndingNoticeDays: 3 });

  test('a scheduled trial starts, then its ending notice is due 3 days before the anchor', () => {
    expect(pendingEvents(trial, state({ status: 'scheduled', nextPeriodIndex: 0 }), periodAt(trial))).toEqual([
      { kind: 'trial_start', at: '2027-01-01T00:00:00.000Z' },
      { kind: 'trial_ending_notice', at: '2027-01-12T00:00:00.000Z' },
    ]);
    expect(pendingEvents(trial, state({ status: 'trialing', nextPeriodIndex: 0, trialReminderSent: true }), periodAt(trial))).toEqual([]);
  });

  test('a trial shorter than the notice is told when it starts', () => {
    const short = input({ trialStart: '2027-01-14T00:00:00.000Z', trialEndingNoticeDays: 3 });
    expect(pendingEvents(short, state({ status: 'trialing', nextPeriodIndex: 0 }), periodAt(short))).toEqual([
      { kind: 'trial_ending_notice', at: '2027-01-14T00:00:00.000Z' },
    ]);
  });
});

describe('pauses', () => {
  const now = '2027-02-01T00:00:00.000Z';
  const anchor = input().billingAnchor;

  test('pause now, or later; dates are checked before anything changes', () => {
    expect(() => checkPause(state(), {}, now, anchor)).not.toThrow();
    expect(() => checkPause(state(), { pauseAt: '2027-01-31T00:00:00.000Z' }, now, anchor)).toThrow(/not in the future/);
    expect(() => checkPause(state(), { pauseAt: '2027-03-01T00:00:00.000Z', resumeAt: '2027-03-01T00:00:00.000Z' }, now, anchor)).toThrow(/must be after/);
    expect(() => checkPause(state(), { resumeAt: '2027-01-01T00:00:00.000Z' }, now, anchor)).toThrow(/must be after/);
    expect(() => checkPause(state(), { resumeAt: 'soon' }, now, anchor)).toThrow(/resume_at must be an ISO 8601 instant/);
    // Ten years at most: later dates would make billing dates past year 9999, which cannot be stored.
    expect(() => checkPause(state(), { resumeAt: '2037-01-01T00:00:00.000Z' }, now, anchor)).not.toThrow();
    expect(() => checkPause(state(), { resumeAt: '9999-12-31T23:59:59.000Z' }, now, anchor)).toThrow(/more than 3653 days/);
    expect(() => checkPause(state(), { pauseAt: '2040-01-01T00:00:00.000Z' }, now, anchor)).toThrow(/pause_at .* more than 3653 days/);
    expect(() => checkPause(state({ status: 'trialing' }), {}, now, '2027-03-01T00:00:00.000Z')).toThrow(/trial/);
    expect(() => checkPause(state({ status: 'trialing' }), { pauseAt: '2027-02-15T00:00:00.000Z' }, now, '2027-03-01T00:00:00.000Z')).toThrow(/before the first paid period/);
    expect(() => checkPause(state({ status: 'paused' }), {}, now, anchor)).toThrow(RuleViolation);
    expect(() => checkPause(state({ scheduledPause: { pauseAt: '2027-03-01T00:00:00.000Z', resumeAt: null } }), {}, now, anchor)).toThrow(/already scheduled/);
  });

  test('a scheduled pause fires at its date; a running one resumes at its resume date; resume drops a scheduled one', () => {
    const s = state({ status: 'past_due' });
    applyPause(s, { pauseAt: '2027-03-01T00:00:00.000Z', resumeAt: '2027-05-01T00:00:00.000Z' }, now);
    expect(s.status).toBe('past_due');
    expect(pendingEvents(input(), s, periodAt(input()))).toEqual([{ kind: 'pause', at: '2027-03-01T00:00:00.000Z' }]);
    expect(() => checkResume(s)).not.toThrow();
    applyResume(s);
    expect(s.scheduledPause).toBeNull();
    expect(s.status).toBe('past_due');
    expect(() => checkResume(s)).toThrow(/only a paused subscription/);

    applyPause(s, { resumeAt: '2027-05-01T00:00:00.000Z' }, now);
    expect(s).toMatchObject({ status: 'paused', statusBeforePause: 'past_due', pausedAt: now, resumeAt: '2027-05-01T00:00:00.000Z' });
    expect(pendingEvents(input(), s, periodAt(input()))).toEqual([{ kind: 'resume', at: '2027-05-01T00:00:00.000Z' }]);
    applyResume(s);
    expect(s).toMatchObject({ status: 'past_due', pausedAt: null, resumeAt: null });
  });
});

test('a cancel at period end is undone; undo needs one, and a trial may end at its end', () => {
  const s = state({ status: 'trialing', nextPeriodIndex: 0 });
  expect(() => checkUndoCancel(s)).toThrow(/not set to cancel/);
  expect(() => checkCancel(s, { atPeriodEnd: true })).not.toThrow();
  expect(() => checkCancel(state({ status: 'scheduled', nextPeriodIndex: 0 }), { atPeriodEnd: true })).toThrow(/no billed period/);
  s.cancelAtPeriodEnd = true;
  s.cancellationReason = 'cancellation_requested';
  expect(() => checkUndoCancel(s)).not.toThrow();
  applyUndoCancel(s);
  expect(s).toMatchObject({ cancelAtPeriodEnd: false, cancellationReason: null });
  expect(() => checkUndoCancel(state({ status: 'canceled', cancelAtPeriodEnd: true }))).toThrow(/already canceled/);
});
