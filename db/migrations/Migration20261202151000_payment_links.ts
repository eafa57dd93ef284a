import { Migration } from '@mikro-orm/migrations';

/**
 * Payment links (a shareable checkout page for fixed catalog prices) and the checkout sessions buyers
 * open on them. A session is found by the SHA-256 of the token its form carried (unique), so a double
 * submit lands on the same row; its status is written by its workflow.
 */
export class Migration20261202151000_payment_links extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table payment_links (
        id text primary key,
        active boolean not null,
        currency text not null,
        mode text not null check (mode in ('payment', 'subscription')),
        line_items jsonb not null,
        trial_period_days integer check (trial_period_days between 1 and 730),
        after_completion jsonb not null,
        future_start_max_days integer check (future_start_max_days between 1 and 365),
        metadata jsonb not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );

      create table checkout_sessions (
        id text primary key,
        token_hash text not null unique,
        payment_link_id text not null references payment_links (id),
        customer_id text not null references customers (id),
        status text not null check (status in ('open', 'complete', 'failed', 'expired')),
        currency text not null,
        lines jsonb not null,
        amount_total bigint not null check (amount_total >= 0),
        recurring_total bigint not null check (recurring_total >= 0),
        invoice_id text references invoices (id),
        subscription_ids jsonb not null,
        start_date timestamptz not null,
        failure_message text,
        workflow_id text not null,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        completed_at timestamptz
      );
      create index checkout_sessions_link_idx on checkout_sessions (payment_link_id, id);
      create index checkout_sessions_customer_idx on checkout_sessions (customer_id, id);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists checkout_sessions; drop table if exists payment_links;`);
  }
}
