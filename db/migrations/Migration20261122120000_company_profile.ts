import { Migration } from '@mikro-orm/migrations';

/**
 * The company profile behind branded invoices, receipts and emails: a single row, seeded here so a
 * fresh install renders documents at once and every process agrees on the defaults.
 */
export class Migration20261122120000_company_profile extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table company_profile (
        id text primary key check (id = 'default'),
        legal_name text not null,
        display_name text not null,
        logo bytea,
        logo_content_type text check (logo_content_type in ('image/png', 'image/jpeg')),
        brand_color char(7) not null check (brand_color ~ '^#[0-9A-F]{6}$'),
        address jsonb,
        tax_id text,
        contact_email text,
        contact_phone text,
        website text,
        invoice_footer text,
        show_logo boolean not null default true,
        show_address boolean not null default true,
        show_tax_id boolean not null default true,
        show_contact boolean not null default true,
        updated_at timestamptz not null default now(),
        check ((logo is null) = (logo_content_type is null))
      );

      insert into company_profile (id, legal_name, display_name, brand_color)
      values ('default', 'Billing', 'Billing', '#2563EB');
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists company_profile;');
  }
}
