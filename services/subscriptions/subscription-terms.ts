/**
 * A new subscription's trial, chosen billing anchor and commitment term, checked against its start and
 * billing interval. The subscription workflow runs them (workflows/subscription/timeline.ts); the charge
 * for a partial period before the anchor is written by partial-period-charges.ts. Refusals are
 * RuleViolations naming the request field.
 */
import { DateTime } from 'luxon';
import { previousPeriodStart } from '../../domain/calendar';
import { periodsPerTerm, type BillingInterval, type IntervalUnit } from '../../domain/frequency';
import { Refusal, invalidInput } from '../../domain/rule-violation';
import type { SubscriptionCommitment } from './start-subscription';

/** Longest trial accepted (two years), and the longest reminder lead time before a term ends. */
export const MAX_TRIAL_DAYS = 730;
export const MAX_REMINDER_DAYS = 365;
/** Days before a term ends that the reminder goes out when the request names none. */
export const DEFAULT_REMINDER_DAYS = 30;

/** The trial, anchor and commitment a new subscription asks for (the API's field names; dates are ISO instants). */
export interface SubscriptionTermsRequest {
  trial_period_days?: number;
  trial_end?: string;
  billing_cycle_anchor?: string;
  proration_behavior?: 'create_prorations' | 'none';
  commitment?: {
    interval: IntervalUnit;
    interval_count: number;
    renewal?: 'renew' | 'expire';
    reminder_days_before?: number;
  };
}

export interface SubscriptionTerms {
  trialEnd: Date | null;
  /** A billing anchor after the start (not a trial's end), and whether the partial period before it is charged. */
  anchor: { at: Date; prorate: boolean } | null;
  commitment: SubscriptionCommitment | null;
}

/** Checks the trial and commitment of a subscription starting at `startDate` billed every `billing`. */
export function resolveSubscriptionTerms(body: SubscriptionTermsRequest, startDate: Date, timeZone: string, billing: BillingInterval): SubscriptionTerms {
  if (body.trial_period_days !== undefined && body.trial_end !== undefined) {
    throw invalidInput('trial_end', 'Give trial_period_days or trial_end, not both.');
  }
  let trialEnd: Date | null = null;
  if (body.trial_period_days !== undefined) {
    // Calendar days in the customer's zone: a 14-day trial from 09:00 ends at 09:00 local, DST or not.
    trialEnd = DateTime.fromJSDate(startDate, { zone: timeZone }).plus({ days: body.trial_period_days }).toJSDate();
  } else if (body.trial_end !== undefined) {
    trialEnd = new Date(body.trial_end);
    if (trialEnd.getTime() <= startDate.getTime()) throw invalidInput('trial_end', 'trial_end must be after the start date.');
    if (trialEnd.getTime() - startDate.getTime() > MAX_TRIAL_DAYS * 86_400_000) {
      throw invalidInput('trial_end', `A trial lasts at most ${MAX_TRIAL_DAYS} days.`);
    }
  }

  let anchor: SubscriptionTerms['anchor'] = null;
  if (body.billing_cycle_anchor !== undefined) {
    if (trialEnd) throw invalidInput('billing_cycle_anchor', "A trial's end is the billing anchor: give a trial or billing_cycle_anchor, not both.");
    const at = new Date(body.billing_cycle_anchor);
    if (at.getTime() <= startDate.getTime()) throw invalidInput('billing_cycle_anchor', 'billing_cycle_anchor must be after the start date.');
    if (Date.parse(previousPeriodStart(at.toISOString(), timeZone, billing)) > startDate.getTime()) {
      throw invalidInput('billing_cycle_anchor', 'billing_cycle_anchor must be within one billing period after the start date.');
    }
    anchor = { at, prorate: (body.proration_behavior ?? 'create_prorations') === 'create_prorations' };
  } else if (body.proration_behavior !== undefined) {
    throw invalidInput('proration_behavior', 'proration_behavior applies to the partial period before a billing_cycle_anchor; give one.');
  }

  let commitment: SubscriptionCommitment | null = null;
  if (body.commitment) {
    const term: BillingInterval = { unit: body.commitment.interval, count: body.commitment.interval_count };
    if (periodsPerTerm(term, billing) === null) {
      throw new Refusal(
        'term_not_whole_periods',
        `A ${term.count}-${term.unit} commitment is not a whole number of ${billing.count}-${billing.unit} billing periods.`,
        'commitment[interval_count]',
      );
    }
    commitment = {
      interval: term,
      renewal: body.commitment.renewal ?? 'renew',
      reminderDaysBefore: body.commitment.reminder_days_before ?? DEFAULT_REMINDER_DAYS,
    };
  }
  return { trialEnd, anchor, commitment };
}
