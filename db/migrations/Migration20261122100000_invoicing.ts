import { Migration } from '@mikro-orm/migrations';

/**
 * One invoice model for one-off and subscription invoices: drafts (no number, no due date yet),
 * payment terms, discounts, fees and taxes with their totals, a memo and footer, and the lifecycle
 * timestamps. Amounts stay bigint minor units; tax rates are integer millionths (20 % = 200000).
 */
export class Migration20261122100000_invoicing extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      -- Drafts get their number when finalized, inside the finalize transaction (no gap on rollback).
      alter table invoices
        alter column number drop not null,
        alter column due_date drop not null,
        add column payment_terms text check (payment_terms in
          ('due_on_receipt', 'net_7', 'net_15', 'net_30', 'net_45', 'net_60', 'net_90', 'custom')),
        add column discount_total bigint not null default 0 check (discount_total >= 0),
        add column fee_total bigint not null default 0 check (fee_total >= 0),
        add column discounts jsonb not null default '[]',
        add column fees jsonb not null default '[]',
        add column tax_amounts jsonb not null default '[]',
        add column memo text,
        add column footer text,
        add column finalized_at timestamptz,
        add column voided_at timestamptz,
        add column marked_uncollectible_at timestamptz,
        add constraint invoices_number_when_finalized check ((status = 'draft') = (number is null)),
        add constraint invoices_due_date_when_finalized check (status = 'draft' or due_date is not null),
        add constraint invoices_collection_method_check check (collection_method in ('charge_automatically', 'send_invoice')),
        -- amount_due is what is still owed: total − amount_paid while open; void cancels it to 0.
        add constraint invoices_amounts_check check (subtotal >= 0 and tax >= 0 and total >= 0 and amount_due >= 0);

      -- The overdue list: open invoices by due date.
      create index invoices_open_due_idx on invoices (due_date) where status = 'open';
      create index invoices_subscription_idx on invoices (subscription_id, id) where subscription_id is not null;

      alter table invoice_lines
        add column discount_amount bigint not null default 0 check (discount_amount >= 0),
        add column tax_amount bigint not null default 0 check (tax_amount >= 0),
        add constraint invoice_lines_amounts_check check (quantity > 0 and unit_amount >= 0 and amount >= 0 and discount_amount <= amount);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table invoice_lines
        drop constraint if exists invoice_lines_amounts_check,
        drop column if exists discount_amount,
        drop column if exists tax_amount;
      drop index if exists invoices_subscription_idx;
      drop index if exists invoices_open_due_idx;
      delete from invoice_lines where invoice_id in (select id from invoices where status = 'draft');
      delete from invoices where status = 'draft';
      alter table invoices
        drop constraint if exists invoices_amounts_check,
        drop constraint if exists invoices_collection_method_check,
        drop constraint if exists invoices_due_date_when_finalized,
        drop constraint if exists invoices_number_when_finalized,
        drop column if exists payment_terms,
        drop column if exists discount_total,
        drop column if exists fee_total,
        drop column if exists discounts,
        drop column if exists fees,
        drop column if exists tax_amounts,
        drop column if exists memo,
        drop column if exists footer,
        drop column if exists finalized_at,
        drop column if exists voided_at,
        drop column if exists marked_uncollectible_at,
        alter column number set not null,
        alter column due_date set not null;
    `);
  }
}
