import { Migration } from '@mikro-orm/migrations';

/**
 * Customer portal sessions: short-lived tokens scoped to one customer. Only the SHA-256 of a token is
 * stored (unique, the lookup key); an expired or revoked session authenticates nothing.
 */
export class Migration20261122210000_portal_sessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table portal_sessions (
        id text primary key,
        customer_id text not null references customers (id),
        token_hash text not null unique,
        return_url text,
        expires_at timestamptz not null,
        revoked_at timestamptz,
        created_by_key_id text references api_keys (id),
        created_at timestamptz not null,
        check (expires_at > created_at)
      );
      create index portal_sessions_customer_idx on portal_sessions (customer_id, id);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists portal_sessions;`);
  }
}
