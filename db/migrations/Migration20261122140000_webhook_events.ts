import { Migration } from '@mikro-orm/migrations';

/** Payment gateway webhook events, stored once per event id (issue 4, Stripe webhooks). */
export class Migration20261122140000_webhook_events extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table webhook_events (
        id text primary key,
        event_id text not null unique,
        type text not null,
        api_version text,
        gateway_created_at timestamptz not null,
        livemode boolean not null,
        payload jsonb not null,
        status text not null check (status in ('received', 'routed', 'ignored', 'unroutable', 'failed')),
        routed_to text,
        invoice_id text references invoices (id),
        error text,
        attempts integer not null default 0 check (attempts >= 0),
        received_at timestamptz not null default now(),
        processed_at timestamptz,
        check ((status = 'routed') = (routed_to is not null))
      );
      create index webhook_events_status_idx on webhook_events (status, id);
      create index webhook_events_type_idx on webhook_events (type, id);
      create index webhook_events_invoice_idx on webhook_events (invoice_id, id);

      -- Webhooks find the invoice of a PaymentIntent through the attempt that created it.
      create index if not exists payments_gateway_charge_idx on payments (gateway_charge_id);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop index if exists payments_gateway_charge_idx;
      drop table if exists webhook_events;
    `);
  }
}
