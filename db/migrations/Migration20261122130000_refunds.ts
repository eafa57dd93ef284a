import { Migration } from '@mikro-orm/migrations';

/**
 * Refunds: one row per refund of a payment, and the amount refunded so far on payments and invoices.
 * The checks are the last line of defence behind the API's locked check: refunds never exceed the payment.
 */
export class Migration20261122130000_refunds extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table refunds (
        id text primary key,
        payment_id text not null references payments (id),
        invoice_id text not null references invoices (id),
        customer_id text not null references customers (id),
        amount bigint not null check (amount > 0),
        currency char(3) not null,
        reason text check (reason in ('duplicate', 'fraudulent', 'requested_by_customer')),
        status text not null check (status in ('pending', 'succeeded', 'failed')),
        gateway text not null,
        gateway_refund_id text,
        idempotency_key text not null unique,
        failure_reason text,
        note text,
        created_at timestamptz not null default now(),
        completed_at timestamptz
      );
      create index refunds_payment_idx on refunds (payment_id, id);
      create index refunds_invoice_idx on refunds (invoice_id, id);
      create index refunds_customer_idx on refunds (customer_id, id);
      create index refunds_status_idx on refunds (status, id);

      alter table payments
        add column amount_refunded bigint not null default 0,
        add constraint payments_amount_refunded_check check (amount_refunded >= 0 and amount_refunded <= amount);
      alter table invoices
        add column amount_refunded bigint not null default 0,
        add constraint invoices_amount_refunded_check check (amount_refunded >= 0 and amount_refunded <= amount_paid);

      -- The sandbox gateway's memory of refunds by idempotency key, next to its charges.
      create table sandbox_refunds (
        idempotency_key text primary key,
        gateway_charge_id text not null,
        gateway_refund_id text unique,
        amount bigint not null,
        status text not null,
        request jsonb not null,
        outcome jsonb not null,
        created_at timestamptz not null default now()
      );
      create index sandbox_refunds_charge_idx on sandbox_refunds (gateway_charge_id);
      create index sandbox_charges_charge_id_idx on sandbox_charges ((outcome ->> 'gatewayChargeId'));
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop index if exists sandbox_charges_charge_id_idx;
      drop table if exists sandbox_refunds, refunds;
      alter table invoices drop column if exists amount_refunded;
      alter table payments drop column if exists amount_refunded;
    `);
  }
}
