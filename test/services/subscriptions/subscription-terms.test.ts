/**
 * A new subscription's trial, billing anchor and commitment: what is accepted, what each refusal names,
 * and where the trial ends in the customer's calendar.
 */
import { RuleViolation } from '../../../domain/rule-violation';
import { MAX_TRIAL_DAYS, resolveSubscriptionTerms, type SubscriptionTermsRequest } from '../../../services/subscriptions/subscription-terms';

const START = new Date('2026-03-01T09:00:00Z');
const MONTHLY = { unit: 'month', count: 1 } as const;

function refusal(body: SubscriptionTermsRequest, billing: { unit: 'month' | 'year' | 'week' | 'day'; count: number } = MONTHLY) {
  try {
    resolveSubscriptionTerms(body, START, 'Europe/Paris', billing);
  } catch (err) {
    expect(err).toBeInstanceOf(RuleViolation);
    const v = err as RuleViolation;
    return { code: v.code, kind: v.kind, param: v.param, message: v.message };
  }
  throw new Error('expected a refusal');
}

describe('resolveSubscriptionTerms', () => {
  it('takes no terms at all', () => {
    expect(resolveSubscriptionTerms({}, START, 'UTC', MONTHLY)).toEqual({ trialEnd: null, anchor: null, commitment: null });
  });

  it('ends a trial of N days at the same local time, across a daylight saving change', () => {
    // Paris moves to summer time on 29 March 2026: 09:00 UTC is 10:00 local before, and the trial ends at 10:00 local (08:00 UTC).
    const { trialEnd } = resolveSubscriptionTerms({ trial_period_days: 30 }, START, 'Europe/Paris', MONTHLY);
    expect(trialEnd?.toISOString()).toBe('2026-03-31T08:00:00.000Z');
  });

  it('refuses a trial given twice, ending before the start, or longer than the longest trial', () => {
    expect(refusal({ trial_period_days: 3, trial_end: '2026-03-10T00:00:00Z' })).toMatchObject({ code: 'parameter_invalid', kind: 'invalid', param: 'trial_end' });
    expect(refusal({ trial_end: '2026-02-01T00:00:00Z' })).toMatchObject({ param: 'trial_end', message: 'trial_end must be after the start date.' });
    const tooLong = new Date(START.getTime() + (MAX_TRIAL_DAYS + 1) * 86_400_000).toISOString();
    expect(refusal({ trial_end: tooLong })).toMatchObject({ param: 'trial_end', message: `A trial lasts at most ${MAX_TRIAL_DAYS} days.` });
  });

  it('takes a billing anchor within one period after the start, prorating the partial period unless told not to', () => {
    const anchored = resolveSubscriptionTerms({ billing_cycle_anchor: '2026-03-15T00:00:00Z' }, START, 'UTC', MONTHLY);
    expect(anchored.anchor).toEqual({ at: new Date('2026-03-15T00:00:00Z'), prorate: true });
    const free = resolveSubscriptionTerms({ billing_cycle_anchor: '2026-03-15T00:00:00Z', proration_behavior: 'none' }, START, 'UTC', MONTHLY);
    expect(free.anchor?.prorate).toBe(false);
  });

  it('refuses an anchor with a trial, before the start or more than a period away, and proration without an anchor', () => {
    expect(refusal({ trial_period_days: 7, billing_cycle_anchor: '2026-03-15T00:00:00Z' }).param).toBe('billing_cycle_anchor');
    expect(refusal({ billing_cycle_anchor: '2026-02-15T00:00:00Z' }).message).toBe('billing_cycle_anchor must be after the start date.');
    expect(refusal({ billing_cycle_anchor: '2026-05-01T00:00:00Z' }).message).toBe('billing_cycle_anchor must be within one billing period after the start date.');
    expect(refusal({ proration_behavior: 'none' })).toMatchObject({ code: 'parameter_invalid', param: 'proration_behavior' });
  });

  it('takes a commitment of whole billing periods, renewing with a 30-day reminder by default', () => {
    const { commitment } = resolveSubscriptionTerms({ commitment: { interval: 'year', interval_count: 1 } }, START, 'UTC', { unit: 'month', count: 3 });
    expect(commitment).toEqual({ interval: { unit: 'year', count: 1 }, renewal: 'renew', reminderDaysBefore: 30 });
  });

  it('refuses a commitment that is not a whole number of billing periods (422 naming interval_count)', () => {
    expect(refusal({ commitment: { interval: 'month', interval_count: 5 } }, { unit: 'month', count: 3 })).toEqual({
      code: 'term_not_whole_periods',
      kind: 'unprocessable',
      param: 'commitment[interval_count]',
      message: 'A 5-month commitment is not a whole number of 3-month billing periods.',
    });
  });
});
