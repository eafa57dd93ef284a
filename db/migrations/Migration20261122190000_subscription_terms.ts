import { Migration } from '@mikro-orm/migrations';

/**
 * Subscription trials, commitment terms, pauses scheduled for later with an automatic resume, why a
 * subscription ended, and customers' cancellation requests waiting for an operator.
 */
export class Migration20261122190000_subscription_terms extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table subscriptions drop constraint subscriptions_status_check;
      alter table subscriptions add constraint subscriptions_status_check
        check (status in ('incomplete', 'scheduled', 'trialing', 'active', 'past_due', 'unpaid', 'paused', 'canceled'));

      alter table subscriptions
        add column trial_start timestamptz,
        add column trial_end timestamptz,
        add column commitment_interval_unit text check (commitment_interval_unit in ('day', 'week', 'month', 'year')),
        add column commitment_interval_count integer check (commitment_interval_count > 0),
        add column commitment_renewal text check (commitment_renewal in ('renew', 'expire')),
        add column commitment_reminder_days integer check (commitment_reminder_days >= 0),
        add column current_term_index integer,
        add column current_term_start timestamptz,
        add column current_term_end timestamptz,
        add column pause_scheduled_at timestamptz,
        add column resume_at timestamptz,
        add column cancellation_reason text check (cancellation_reason in ('cancellation_requested', 'payment_failed', 'term_expired')),
        -- The plan change waiting for the period end, as the workflow last recorded it (a read model).
        add column pending_update jsonb,
        add constraint subscriptions_commitment_complete check (
          (commitment_interval_unit is null) = (commitment_interval_count is null)
          and (commitment_interval_unit is null) = (commitment_renewal is null)
          and (commitment_interval_unit is null) = (commitment_reminder_days is null)
        ),
        add constraint subscriptions_trial_complete check ((trial_start is null) = (trial_end is null) and (trial_end is null or trial_start < trial_end));

      create table subscription_cancellation_requests (
        id text primary key,
        subscription_id text not null references subscriptions (id),
        customer_id text not null references customers (id),
        reason text,
        comment text,
        at_period_end boolean not null,
        status text not null check (status in ('pending', 'approved', 'rejected')),
        decided_at timestamptz,
        decision_note text,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );
      create index subscription_cancellation_requests_subscription_idx on subscription_cancellation_requests (subscription_id, id);
      create index subscription_cancellation_requests_status_idx on subscription_cancellation_requests (status, id);
      -- One open request per subscription: a second one is a 409, not a duplicate in the operator's queue.
      create unique index subscription_cancellation_requests_one_pending on subscription_cancellation_requests (subscription_id) where status = 'pending';
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop table subscription_cancellation_requests;
      alter table subscriptions
        drop constraint subscriptions_trial_complete,
        drop constraint subscriptions_commitment_complete,
        drop column trial_start, drop column trial_end,
        drop column commitment_interval_unit, drop column commitment_interval_count,
        drop column commitment_renewal, drop column commitment_reminder_days,
        drop column current_term_index, drop column current_term_start, drop column current_term_end,
        drop column pause_scheduled_at, drop column resume_at, drop column cancellation_reason, drop column pending_update;
      update subscriptions set status = 'scheduled' where status = 'trialing';
      alter table subscriptions drop constraint subscriptions_status_check;
      alter table subscriptions add constraint subscriptions_status_check
        check (status in ('incomplete', 'scheduled', 'active', 'past_due', 'unpaid', 'paused', 'canceled'));
    `);
  }
}
