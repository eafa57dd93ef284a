import { Migration } from '@mikro-orm/migrations';

/**
 * Quotes (quote-to-cash). The API writes a quote, its first version and, when the quote names a new
 * contact, the customer; from then on the quote's workflow (`quote-<id>`) owns its stage and writes
 * every version, signature, link and the onboarding task. Only the SHA-256 of an acceptance link's
 * token is stored; each emailed link has its own token, unique per email.
 */
export class Migration20261122200000_quotes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table quotes (
        id text primary key,
        customer_id text not null references customers (id),
        owner_name text not null,
        owner_email text not null,
        account_manager_email text,
        title text not null,
        currency text not null,
        stage text not null check (stage in ('draft', 'pending_approval', 'sent', 'signing', 'accepted', 'awaiting_payment', 'fulfilled', 'declined', 'expired', 'voided')),
        version integer not null check (version > 0),
        content_hash text not null,
        expires_at timestamptz not null,
        one_time_total bigint not null check (one_time_total >= 0),
        discount_ppm integer not null check (discount_ppm between 0 and 1000000),
        requires_approval boolean not null,
        payment_mode text not null check (payment_mode in ('charge_now', 'send_invoice', 'payment_schedule')),
        waiting_for text not null,
        invoice_id text references invoices (id),
        instalment_plan_id text references instalment_plans (id),
        subscription_ids jsonb not null default '[]',
        timeline jsonb not null default '[]',
        approved_by text,
        approved_at timestamptz,
        accepted_at timestamptz,
        fulfilled_at timestamptz,
        declined_at timestamptz,
        decline_reason text,
        voided_at timestamptz,
        void_reason text,
        expired_at timestamptz,
        workflow_id text not null unique,
        metadata jsonb not null default '{}',
        created_at timestamptz not null,
        updated_at timestamptz not null
      );
      create index quotes_stage_idx on quotes (stage, id);
      create index quotes_customer_idx on quotes (customer_id, id);
      create index quotes_owner_idx on quotes (owner_email, id);

      create table quote_versions (
        id text primary key,
        quote_id text not null references quotes (id) on delete cascade,
        version integer not null check (version > 0),
        content jsonb not null,
        content_hash text not null,
        totals jsonb not null,
        created_at timestamptz not null,
        superseded_at timestamptz,
        unique (quote_id, version)
      );

      create table quote_signatures (
        id text primary key,
        quote_id text not null references quotes (id) on delete cascade,
        version integer not null,
        content_hash text not null,
        signer_id text not null,
        kind text not null check (kind in ('customer', 'internal')),
        name text not null,
        email text not null,
        ip text not null,
        signed_at timestamptz not null,
        superseded boolean not null default false,
        unique (quote_id, version, signer_id)
      );

      create table quote_links (
        id text primary key,
        quote_id text not null references quotes (id) on delete cascade,
        token_hash text not null unique,
        email_key text not null unique,
        signer_email text not null,
        version integer not null,
        created_at timestamptz not null
      );
      create index quote_links_quote_idx on quote_links (quote_id);

      create table onboarding_tasks (
        id text primary key,
        quote_id text not null unique references quotes (id) on delete cascade,
        customer_id text not null references customers (id),
        assignee_email text not null,
        title text not null,
        description text not null,
        status text not null check (status in ('open', 'done')),
        created_at timestamptz not null
      );
      create index onboarding_tasks_customer_idx on onboarding_tasks (customer_id, id);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop table if exists onboarding_tasks;
      drop table if exists quote_links;
      drop table if exists quote_signatures;
      drop table if exists quote_versions;
      drop table if exists quotes;
    `);
  }
}
