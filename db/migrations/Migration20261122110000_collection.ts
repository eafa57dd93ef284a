import { Migration } from '@mikro-orm/migrations';

/**
 * Collection and dunning: where each invoice's collection stands (attempts, next retry, past due),
 * offline payments (no attempt number, a reference), and the account owner who hears about failures.
 */
export class Migration20261122110000_collection extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table invoices
        add column attempt_count integer not null default 0 check (attempt_count >= 0),
        add column next_payment_attempt timestamptz,
        add column past_due_at timestamptz;

      -- Offline payments (check, bank transfer, cash) are not charge attempts.
      alter table payments
        alter column attempt drop not null,
        add column reference text;

      alter table customers add column account_owner_email text;

      -- unpaid: dunning gave up and the policy says so; invoices keep being created but nobody is charged twice.
      alter table subscriptions drop constraint subscriptions_status_check;
      alter table subscriptions add constraint subscriptions_status_check
        check (status in ('incomplete', 'scheduled', 'active', 'past_due', 'unpaid', 'paused', 'canceled'));

      create index invoices_past_due_idx on invoices (past_due_at) where past_due_at is not null;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop index if exists invoices_past_due_idx;
      alter table subscriptions drop constraint subscriptions_status_check;
      alter table subscriptions add constraint subscriptions_status_check
        check (status in ('incomplete', 'scheduled', 'active', 'past_due', 'paused', 'canceled'));
      alter table customers drop column if exists account_owner_email;
      alter table payments drop column if exists reference;
      alter table invoices drop column if exists attempt_count, drop column if exists next_payment_attempt, drop column if exists past_due_at;
    `);
  }
}
