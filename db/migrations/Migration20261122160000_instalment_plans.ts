import { Migration } from '@mikro-orm/migrations';

/**
 * Instalment plans (payment schedules, split invoices, leases and loans). The plan's workflow
 * (`instalment-plan-<id>`) owns the schedule and writes both tables; the API creates them once at the
 * start. Each instalment becomes an ordinary invoice when it falls due, unique per (plan, instalment).
 */
export class Migration20261122160000_instalment_plans extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table instalment_plans (
        id text primary key,
        customer_id text not null references customers (id),
        description text not null,
        contract_reference text,
        currency text not null,
        method text not null check (method in ('equal', 'full', 'custom')),
        principal bigint not null check (principal > 0),
        interest_total bigint not null default 0 check (interest_total >= 0),
        total bigint not null check (total >= 0),
        annual_interest_rate_ppm integer check (annual_interest_rate_ppm between 0 and 1000000),
        interval_unit text check (interval_unit in ('day', 'week', 'month', 'year')),
        interval_count integer check (interval_count > 0),
        collection_method text not null check (collection_method in ('charge_automatically', 'send_invoice')),
        payment_terms text not null,
        reminder_days_before integer not null check (reminder_days_before between 0 and 60),
        remind_customer boolean not null,
        on_permanent_failure text not null check (on_permanent_failure in ('continue', 'pause', 'cancel')),
        account_manager_email text,
        source_invoice_id text unique references invoices (id),
        time_zone text not null,
        status text not null check (status in ('incomplete', 'active', 'paused', 'completed', 'canceled')),
        cancellation_reason text,
        paid_amount bigint not null default 0 check (paid_amount >= 0),
        payment_count integer not null default 0 check (payment_count >= 0),
        remaining_balance bigint not null check (remaining_balance >= 0),
        remaining_principal bigint not null check (remaining_principal >= 0),
        next_payment_date timestamptz,
        canceled_at timestamptz,
        completed_at timestamptz,
        workflow_id text not null unique,
        metadata jsonb not null default '{}',
        created_at timestamptz not null,
        updated_at timestamptz not null
      );
      create index instalment_plans_customer_idx on instalment_plans (customer_id, id);
      create index instalment_plans_contract_idx on instalment_plans (contract_reference, id) where contract_reference is not null;
      create index instalment_plans_status_idx on instalment_plans (status, id);

      create table instalments (
        id text primary key,
        plan_id text not null references instalment_plans (id) on delete cascade,
        number integer not null check (number > 0),
        kind text not null check (kind in ('down_payment', 'instalment', 'payoff')),
        due_date timestamptz not null,
        amount bigint not null check (amount > 0),
        principal bigint not null check (principal >= 0),
        interest bigint not null check (interest >= 0),
        remaining_principal bigint not null check (remaining_principal >= 0),
        status text not null check (status in ('scheduled', 'invoiced', 'paid', 'failed', 'overdue', 'written_off', 'canceled')),
        invoice_id text references invoices (id),
        paid_at timestamptz,
        reminded_at timestamptz,
        unique (plan_id, number)
      );
      create index instalments_paid_at_idx on instalments (plan_id, paid_at) where paid_at is not null;

      -- An instalment's invoice, once per (plan, instalment) even when the activity is retried; and
      -- the plan that replaced an invoice split into parts.
      alter table invoices
        add column instalment_plan_id text references instalment_plans (id),
        add column instalment_number integer,
        add column replaced_by_plan_id text references instalment_plans (id),
        add constraint invoices_instalment_unique unique (instalment_plan_id, instalment_number);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table invoices
        drop constraint if exists invoices_instalment_unique,
        drop column if exists replaced_by_plan_id,
        drop column if exists instalment_number,
        drop column if exists instalment_plan_id;
      drop table if exists instalments;
      drop table if exists instalment_plans;
    `);
  }
}
