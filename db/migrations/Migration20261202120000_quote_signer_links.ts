import { Migration } from '@mikro-orm/migrations';

/**
 * Signatures bound to the signer. A quote link now names the signer it was issued to (`signer_id`,
 * one signer of one version): the token identifies who signs, never the request body. Existing links
 * are matched to their signer by the email they were sent to; a link that matches no customer signer
 * of its version could only be used by naming someone, so it is dropped. A link is no longer unique
 * per email: an email whose delivery is retried gets a fresh token (the outbox keeps only a redacted
 * copy, so the first token cannot be sent again).
 *
 * A signature keeps what proves who signed: the link used (customer) or the API key (internal), the
 * caller's user agent beside its IP, and the version's content hash it already had.
 */
export class Migration20261202120000_quote_signer_links extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table quote_links add column signer_id text;
      update quote_links l set signer_id = (
        select s ->> 'id'
          from quote_versions v, jsonb_array_elements(v.content -> 'signing' -> 'signers') s
         where v.quote_id = l.quote_id and v.version = l.version
           and s ->> 'kind' = 'customer' and lower(s ->> 'email') = lower(l.signer_email)
         limit 1);
      delete from quote_links where signer_id is null;
      alter table quote_links alter column signer_id set not null;
      alter table quote_links drop constraint quote_links_email_key_key;
      create index quote_links_email_key_idx on quote_links (email_key);

      alter table quote_signatures
        add column link_id text references quote_links (id),
        add column api_key_id text references api_keys (id),
        add column user_agent text;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table quote_signatures drop column link_id, drop column api_key_id, drop column user_agent;
      drop index if exists quote_links_email_key_idx;
      delete from quote_links l using quote_links o where l.email_key = o.email_key and l.created_at > o.created_at;
      alter table quote_links add constraint quote_links_email_key_key unique (email_key);
      alter table quote_links drop column signer_id;
    `);
  }
}
