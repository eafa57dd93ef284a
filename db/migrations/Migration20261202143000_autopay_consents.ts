import { Migration } from '@mikro-orm/migrations';

/**
 * Autopay consents given on hosted invoice pages (db/entities/autopay-consent.ts): who agreed to which
 * words, for which subscription, when and from where. Append-only evidence.
 */
export class Migration20261202143000_autopay_consents extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table autopay_consents (
        id text primary key,
        customer_id text not null references customers (id),
        subscription_id text not null references subscriptions (id),
        invoice_id text not null references invoices (id),
        payment_method text not null,
        consent_text text not null,
        accepted_at timestamptz not null,
        client_ip text not null,
        user_agent text
      );
      create index autopay_consents_subscription_idx on autopay_consents (subscription_id, accepted_at);
      create index autopay_consents_customer_idx on autopay_consents (customer_id);
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop table autopay_consents;');
  }
}
