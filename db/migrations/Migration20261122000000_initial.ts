import { Migration } from '@mikro-orm/migrations';

/** The foundation schema. Later changes get their own migration; this one is never edited once released. */
export class Migration20261122000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table api_keys (
        id text primary key,
        name text not null,
        role text not null check (role in ('admin', 'operator', 'sales')),
        key_hash text not null unique,
        key_prefix text not null,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      );

      create table idempotency_keys (
        api_key_id text not null references api_keys (id),
        key text not null,
        method text not null,
        path text not null,
        request_hash text not null,
        status text not null check (status in ('in_progress', 'completed')),
        response_status integer,
        response_body jsonb,
        created_at timestamptz not null default now(),
        primary key (api_key_id, key)
      );

      create table customers (
        id text primary key,
        email text not null,
        name text not null,
        currency char(3) not null,
        time_zone text not null,
        billing_address jsonb,
        default_payment_method text,
        gateway_customer_id text,
        metadata jsonb not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create index customers_email_idx on customers (email);

      create table products (
        id text primary key,
        name text not null,
        description text,
        active boolean not null default true,
        metadata jsonb not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );

      create table prices (
        id text primary key,
        product_id text not null references products (id),
        nickname text,
        currency char(3) not null,
        unit_amount bigint not null check (unit_amount >= 0),
        type text not null check (type in ('one_time', 'recurring')),
        interval_unit text check (interval_unit in ('day', 'week', 'month', 'year')),
        interval_count integer check (interval_count > 0),
        active boolean not null default true,
        metadata jsonb not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        check ((type = 'recurring') = (interval_unit is not null and interval_count is not null))
      );
      create index prices_product_idx on prices (product_id);

      create table subscriptions (
        id text primary key,
        customer_id text not null references customers (id),
        price_id text not null references prices (id),
        quantity integer not null check (quantity > 0),
        currency char(3) not null,
        unit_amount bigint not null check (unit_amount >= 0),
        interval_unit text not null,
        interval_count integer not null,
        status text not null check (status in ('incomplete', 'scheduled', 'active', 'past_due', 'paused', 'canceled')),
        collection_method text not null check (collection_method in ('charge_automatically', 'send_invoice')),
        billing_anchor timestamptz not null,
        time_zone text not null,
        start_date timestamptz not null,
        current_period_index integer,
        current_period_start timestamptz,
        current_period_end timestamptz,
        next_billing_date timestamptz,
        cancel_at_period_end boolean not null default false,
        canceled_at timestamptz,
        paused_at timestamptz,
        workflow_id text not null unique,
        metadata jsonb not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create index subscriptions_customer_idx on subscriptions (customer_id, id);
      create index subscriptions_status_idx on subscriptions (status, id);

      -- Gapless invoice numbers: the counter row is updated in the same transaction as the invoice
      -- insert, so a rolled-back invoice gives its number back and concurrent inserts queue on the row.
      create table invoice_number_sequences (
        prefix text primary key,
        next_value bigint not null
      );

      create table invoices (
        id text primary key,
        number text not null unique,
        customer_id text not null references customers (id),
        subscription_id text references subscriptions (id),
        period_index integer,
        period_start timestamptz,
        period_end timestamptz,
        status text not null check (status in ('draft', 'open', 'paid', 'void', 'uncollectible')),
        currency char(3) not null,
        subtotal bigint not null,
        tax bigint not null,
        total bigint not null,
        amount_paid bigint not null default 0,
        amount_due bigint not null,
        collection_method text not null,
        due_date timestamptz not null,
        paid_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        check (amount_paid >= 0 and amount_paid <= total),
        unique (subscription_id, period_index)
      );
      create index invoices_customer_idx on invoices (customer_id, id);
      create index invoices_status_idx on invoices (status, id);

      create table invoice_lines (
        id text primary key,
        invoice_id text not null references invoices (id),
        description text not null,
        price_id text references prices (id),
        quantity integer not null,
        unit_amount bigint not null,
        amount bigint not null,
        period_start timestamptz,
        period_end timestamptz,
        position integer not null,
        unique (invoice_id, position)
      );

      create table payments (
        id text primary key,
        invoice_id text not null references invoices (id),
        customer_id text not null references customers (id),
        attempt integer not null check (attempt > 0),
        amount bigint not null check (amount > 0),
        currency char(3) not null,
        status text not null check (status in ('pending', 'succeeded', 'failed')),
        gateway text not null,
        payment_method text not null,
        gateway_charge_id text,
        failure_code text,
        failure_message text,
        idempotency_key text not null unique,
        created_at timestamptz not null default now(),
        completed_at timestamptz,
        unique (invoice_id, attempt)
      );
      create index payments_customer_idx on payments (customer_id, id);
      create index payments_invoice_idx on payments (invoice_id, id);

      create table email_outbox (
        id text primary key,
        key text not null unique,
        kind text not null,
        customer_id text references customers (id),
        related_id text,
        to_address text not null,
        subject text not null,
        text text not null,
        html text not null,
        status text not null check (status in ('pending', 'sent')),
        provider text,
        provider_message_id text,
        attempts integer not null default 0,
        last_error text,
        created_at timestamptz not null default now(),
        sent_at timestamptz
      );
      create index email_outbox_customer_idx on email_outbox (customer_id, id);
      create index email_outbox_related_idx on email_outbox (related_id);

      -- The sandbox gateway's memory of charges by idempotency key, shared by every worker process.
      create table sandbox_charges (
        idempotency_key text primary key,
        request jsonb not null,
        outcome jsonb not null,
        created_at timestamptz not null default now()
      );
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop table if exists sandbox_charges, email_outbox, payments, invoice_lines, invoices,
        invoice_number_sequences, subscriptions, prices, products, customers, idempotency_keys, api_keys;
    `);
  }
}
