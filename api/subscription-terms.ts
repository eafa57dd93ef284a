/**
 * A subscription's trial, chosen billing anchor, commitment term and scheduled pause on the wire: the
 * create fields and how the subscription resource shows them. Their checks are
 * services/subscriptions/subscription-terms.ts.
 */
import { Type } from 'typebox';
import type { Subscription } from '../db/entities';
import { INTERVAL_UNITS } from '../domain/frequency';
import { DEFAULT_REMINDER_DAYS, MAX_REMINDER_DAYS, MAX_TRIAL_DAYS } from '../services/subscriptions/subscription-terms';
import { Nullable, Timestamp, iso } from './schemas';

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

export function subscriptionTermsResource(s: Omit<Subscription, 'items'>) {
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
