import { Migration } from '@mikro-orm/migrations';

/**
 * Plan changes on subscriptions (upgrade, downgrade, quantity): every change requested, applied now or
 * scheduled for the period end, with its proration; and the proration items waiting for the
 * subscription's next invoice (charges as lines, credits as discounts, a credit larger than that
 * invoice carried forward to the one after).
 */
export class Migration20261122170000_plan_changes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table subscription_plan_changes (
        id text primary key,
        subscription_id text not null references subscriptions (id),
        from_price_id text not null references prices (id),
        to_price_id text not null references prices (id),
        from_quantity integer not null check (from_quantity > 0),
        to_quantity integer not null check (to_quantity > 0),
        from_unit_amount bigint not null check (from_unit_amount >= 0),
        to_unit_amount bigint not null check (to_unit_amount >= 0),
        effective text not null check (effective in ('immediately', 'period_end')),
        proration_behavior text not null check (proration_behavior in ('create_prorations', 'always_invoice', 'none')),
        proration_date timestamptz,
        credit bigint not null default 0 check (credit >= 0),
        charge bigint not null default 0 check (charge >= 0),
        invoice_id text references invoices (id),
        status text not null check (status in ('scheduled', 'applied', 'superseded')),
        applied_at timestamptz,
        created_at timestamptz not null
      );
      create index subscription_plan_changes_subscription_idx on subscription_plan_changes (subscription_id, id);
      -- At most one change waits for a subscription's period end.
      create unique index subscription_plan_changes_one_scheduled on subscription_plan_changes (subscription_id) where status = 'scheduled';

      create table subscription_pending_items (
        id text primary key,
        subscription_id text not null references subscriptions (id),
        kind text not null check (kind in ('proration_charge', 'proration_credit', 'credit_carried')),
        description text not null,
        amount bigint not null check (amount > 0),
        period_start timestamptz,
        period_end timestamptz,
        -- What created it (a plan change, or the invoice that carried a credit forward): once each.
        source_id text not null,
        invoice_id text references invoices (id),
        created_at timestamptz not null,
        unique (source_id, kind)
      );
      create index subscription_pending_items_open_idx on subscription_pending_items (subscription_id) where invoice_id is null;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop table if exists subscription_pending_items;
      drop table if exists subscription_plan_changes;
    `);
  }
}
