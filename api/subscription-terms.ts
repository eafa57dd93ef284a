/**
 * A subscription's trial, chosen billing anchor, commitment term and scheduled pause: the create
 * fields, their checks and how the subscription resource shows them. The subscription workflow runs
 * them (workflows/subscription/timeline.ts); the charge for a partial period before the anchor is
 * written by services/subscriptions/partial-period-charges.ts.
 */
import { Type, type Static } from 'typebox';
import { DateTime } from 'luxon';
import type { Subscription } from '../db/entities';
import { previousPeriodStart } from '../domain/calendar';
import { INTERVAL_UNITS, periodsPerTerm, type BillingInterval, type IntervalUnit } from '../domain/frequency';
import type { SubscriptionCommitment } from '../services/subscriptions/start-subscription';
import { invalidParam, unprocessable } from './errors';
import { Nullable, Timestamp, iso } from './schemas';

/** Longest trial accepted (two years), and the longest reminder lead time before a term ends. */
export const MAX_TRIAL_DAYS = 730;
export const MAX_REMINDER_DAYS = 365;
const DEFAULT_REMINDER_DAYS = 30;

const Unit = Type.Union(INTERVAL_UNITS.map((unit) => Type.Literal(unit)));

const CommitmentInput = Type.Object(
  {
    interval: Unit,
    interval_count: Type.Integer({ minimum: 1, maximum: 100 }),
    renewal: Type.Optional(
      Type.Union([Type.Literal('renew'), Type.Literal('expire')], { description: 'At the end of each term: renew for another term (default) or end the subscription' }),
    ),
    reminder_days_before: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_REMINDER_DAYS,
        description: `Days before a term ends that the customer and the account owner are emailed (default ${DEFAULT_REMINDER_DAYS}; 0: no reminder)`,
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'A commitment term (e.g. 12 months) made of whole billing periods (e.g. quarterly payments), counted from the first paid period',
  },
);

export const SubscriptionTermsInputFields = {
  trial_period_days: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_TRIAL_DAYS, description: 'A free trial of this many days from the start; the first paid period starts after it' }),
  ),
  trial_end: Type.Optional(Type.String({ format: 'date-time', description: 'Alternatively, when the trial ends (and the first paid period starts)' })),
  billing_cycle_anchor: Type.Optional(
    Type.String({
      format: 'date-time',
      description:
        'Bill on this calendar instead of the start date: period 0 starts here (at most one billing period after the start). ' +
        'The partial period before it is charged on the first invoice (proration_behavior create_prorations) or free (none).',
    }),
  ),
  proration_behavior: Type.Optional(
    Type.Union([Type.Literal('create_prorations'), Type.Literal('none')], { description: 'With billing_cycle_anchor: charge the partial period first (default) or not' }),
  ),
  commitment: Type.Optional(CommitmentInput),
};

const TermView = Type.Object({ index: Type.Integer(), start: Timestamp, end: Timestamp });

export const SubscriptionTermsResourceFields = {
  trial_start: Nullable(Timestamp),
  trial_end: Nullable(Timestamp),
  commitment: Nullable(
    Type.Object({
      interval: Type.String(),
      interval_count: Type.Integer(),
      renewal: Type.Union([Type.Literal('renew'), Type.Literal('expire')]),
      reminder_days_before: Type.Integer(),
      current_term: Nullable(TermView),
    }),
  ),
  pause_scheduled_at: Nullable(Type.String({ format: 'date-time', description: 'A pause that starts later' })),
  resume_at: Nullable(Type.String({ format: 'date-time', description: 'When the pause (running or scheduled) ends by itself' })),
  pending_update: Nullable(
    Type.Object(
      { plan_change: Type.String(), item: Type.String(), price: Type.String(), quantity: Type.Integer(), effective_at: Timestamp },
      { description: 'A plan change scheduled for the end of the current period (see /plan-changes)' },
    ),
  ),
  cancellation_reason: Nullable(
    Type.Union([Type.Literal('cancellation_requested'), Type.Literal('payment_failed'), Type.Literal('term_expired')], {
      description: 'Why the subscription ended or is set to end',
    }),
  ),
};

export function subscriptionTermsResource(s: Subscription) {
  return {
    trial_start: iso(s.trialStart ?? null),
    trial_end: iso(s.trialEnd ?? null),
    commitment:
      s.commitmentIntervalUnit && s.commitmentIntervalCount && s.commitmentRenewal
        ? {
            interval: s.commitmentIntervalUnit,
            interval_count: s.commitmentIntervalCount,
            renewal: s.commitmentRenewal,
            reminder_days_before: s.commitmentReminderDays ?? 0,
            current_term:
              s.currentTermIndex !== null && s.currentTermIndex !== undefined && s.currentTermStart && s.currentTermEnd
                ? { index: s.currentTermIndex, start: iso(s.currentTermStart)!, end: iso(s.currentTermEnd)! }
                : null,
          }
        : null,
    pause_scheduled_at: iso(s.pauseScheduledAt ?? null),
    resume_at: iso(s.resumeAt ?? null),
    pending_update: s.pendingUpdate
      ? {
          plan_change: s.pendingUpdate.planChangeId,
          item: s.pendingUpdate.itemId,
          price: s.pendingUpdate.priceId,
          quantity: s.pendingUpdate.quantity,
          effective_at: s.pendingUpdate.effectiveAt,
        }
      : null,
    cancellation_reason: s.cancellationReason ?? null,
  };
}

type TermsInput = { [K in keyof typeof SubscriptionTermsInputFields]?: Static<(typeof SubscriptionTermsInputFields)[K]> };

export interface SubscriptionTerms {
  trialEnd: Date | null;
  /** A billing anchor after the start (not a trial's end), and whether the partial period before it is charged. */
  anchor: { at: Date; prorate: boolean } | null;
  commitment: SubscriptionCommitment | null;
}

/** Checks the trial and commitment of a subscription starting at `startDate` billed every `billing`. */
export function resolveSubscriptionTerms(body: TermsInput, startDate: Date, timeZone: string, billing: BillingInterval): SubscriptionTerms {
  if (body.trial_period_days !== undefined && body.trial_end !== undefined) {
    throw invalidParam('trial_end', 'Give trial_period_days or trial_end, not both.');
  }
  let trialEnd: Date | null = null;
  if (body.trial_period_days !== undefined) {
    // Calendar days in the customer's zone: a 14-day trial from 09:00 ends at 09:00 local, DST or not.
    trialEnd = DateTime.fromJSDate(startDate, { zone: timeZone }).plus({ days: body.trial_period_days }).toJSDate();
  } else if (body.trial_end !== undefined) {
    trialEnd = new Date(body.trial_end);
    if (trialEnd.getTime() <= startDate.getTime()) throw invalidParam('trial_end', 'trial_end must be after the start date.');
    if (trialEnd.getTime() - startDate.getTime() > MAX_TRIAL_DAYS * 86_400_000) {
      throw invalidParam('trial_end', `A trial lasts at most ${MAX_TRIAL_DAYS} days.`);
    }
  }

  let anchor: SubscriptionTerms['anchor'] = null;
  if (body.billing_cycle_anchor !== undefined) {
    if (trialEnd) throw invalidParam('billing_cycle_anchor', "A trial's end is the billing anchor: give a trial or billing_cycle_anchor, not both.");
    const at = new Date(body.billing_cycle_anchor);
    if (at.getTime() <= startDate.getTime()) throw invalidParam('billing_cycle_anchor', 'billing_cycle_anchor must be after the start date.');
    if (Date.parse(previousPeriodStart(at.toISOString(), timeZone, billing)) > startDate.getTime()) {
      throw invalidParam('billing_cycle_anchor', 'billing_cycle_anchor must be within one billing period after the start date.');
    }
    anchor = { at, prorate: (body.proration_behavior ?? 'create_prorations') === 'create_prorations' };
  } else if (body.proration_behavior !== undefined) {
    throw invalidParam('proration_behavior', 'proration_behavior applies to the partial period before a billing_cycle_anchor; give one.');
  }

  let commitment: SubscriptionCommitment | null = null;
  if (body.commitment) {
    const term: BillingInterval = { unit: body.commitment.interval as IntervalUnit, count: body.commitment.interval_count };
    if (periodsPerTerm(term, billing) === null) {
      throw unprocessable(
        'commitment[interval_count]',
        'term_not_whole_periods',
        `A ${term.count}-${term.unit} commitment is not a whole number of ${billing.count}-${billing.unit} billing periods.`,
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
