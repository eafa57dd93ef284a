import { Migration } from '@mikro-orm/migrations';

/**
 * The portal's own sign-in and registration: one-time sign-in links (only the SHA-256 of each token,
 * used once, within their expiry) and the consent a registering customer gives to future charges of a
 * recurring subscription (the sentence shown, when, from where).
 */
export class Migration20261202150000_portal_sign_in extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table portal_sign_in_links (
        id text primary key,
        customer_id text not null references customers (id),
        token_hash text not null unique,
        email_key text not null,
        expires_at timestamptz not null,
        used_at timestamptz,
        created_at timestamptz not null,
        check (expires_at > created_at)
      );
      create index portal_sign_in_links_customer_idx on portal_sign_in_links (customer_id, created_at);
      create table charge_consents (
        id text primary key,
        customer_id text not null references customers (id),
        subscription_id text not null references subscriptions (id),
        price_id text not null references prices (id),
        text text not null,
        given_at timestamptz not null,
        ip_address text,
        user_agent text
      );
      create index charge_consents_customer_idx on charge_consents (customer_id);
      create index customers_lower_email_idx on customers (lower(email));
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop table if exists charge_consents;
      drop table if exists portal_sign_in_links;
      drop index if exists customers_lower_email_idx;
    `);
  }
}
