import { Migration } from '@mikro-orm/migrations';

/**
 * A portal session keeps the role of the API key that opened it: the portal refuses what that role may
 * not do through the staff API (a sales key cannot pause a subscription, so neither can its session).
 * Sessions opened before this carry their key's role; one with no key recorded gets the narrowest role.
 */
export class Migration20261202110000_portal_session_roles extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table portal_sessions add column opened_by_role text;
      update portal_sessions s set opened_by_role = k.role from api_keys k where k.id = s.created_by_key_id;
      update portal_sessions set opened_by_role = 'sales' where opened_by_role is null;
      alter table portal_sessions alter column opened_by_role set not null;
      alter table portal_sessions add constraint portal_sessions_opened_by_role_check check (opened_by_role in ('admin', 'operator', 'sales'));
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table portal_sessions drop column if exists opened_by_role;`);
  }
}
