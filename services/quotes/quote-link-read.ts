/**
 * Everything the acceptance page shows about a link, in one statement: the link, its quote, the
 * version it was sent for, the customer's time zone and who has signed that version. Run as a named
 * prepared statement on the ORM's pool (db/pooled-query.ts) with rows converted as the ORM converts
 * them (db/row-mapping.ts), like the API's read path: a page opened from an email is the customer's
 * busiest read, and six ORM round trips cost more than the page itself. Read-only by construction.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { Quote, QuoteLink, QuoteVersion } from '../../db/entities';
import { linkTokenHash } from '../../domain/quote-hash';
import { type PreparedStatement, queryRows } from '../../db/pooled-query';
import { scalarColumns, scalarRecord } from '../../db/row-mapping';

/** A link with what its page shows; the version is null only if its row is missing. */
export interface QuoteLinkRead {
  link: QuoteLink;
  quote: Quote;
  version: QuoteVersion | null;
  timeZone: string | null;
  /** The signers of the link's version whose signatures still count, and when they signed. */
  signatures: { signerId: string; signedAt: Date }[];
}

let statement: PreparedStatement | undefined;

/** Each table's columns under a prefix of its own (`l__id`, `q__id`, ...), listed rather than `*` (see subscription-read.ts). */
function quoteLinkStatement(orm: MikroORM): PreparedStatement {
  if (!statement) {
    const columns = (entity: typeof QuoteLink | typeof Quote | typeof QuoteVersion, alias: string) =>
      scalarColumns(orm, entity)
        .map((column) => `"${alias}"."${column}" as "${alias}__${column}"`)
        .join(', ');
    statement = {
      name: 'quote_link_page',
      text:
        `select ${columns(QuoteLink, 'l')}, ${columns(Quote, 'q')}, ${columns(QuoteVersion, 'v')}, "c"."time_zone" as "customer_time_zone", ` +
        `(select coalesce(json_agg(json_build_object('signer_id', "s"."signer_id", 'signed_at', "s"."signed_at") order by "s"."signed_at"), '[]'::json) ` +
        `from "quote_signatures" as "s" where "s"."quote_id" = "l"."quote_id" and "s"."version" = "l"."version" and not "s"."superseded") as "signatures" ` +
        `from "quote_links" as "l" join "quotes" as "q" on "q"."id" = "l"."quote_id" ` +
        `left join "quote_versions" as "v" on "v"."quote_id" = "l"."quote_id" and "v"."version" = "l"."version" ` +
        `left join "customers" as "c" on "c"."id" = "q"."customer_id" ` +
        `where "l"."token_hash" = $1 limit 1`,
    };
  }
  return statement;
}

/** The columns of one alias, without their prefix. */
function part(row: Record<string, unknown>, alias: string): Record<string, unknown> {
  const prefix = `${alias}__`;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  return out;
}

/** The link behind `token` with its page's records; null for a token that never existed. */
export async function readQuoteLink(orm: MikroORM, token: string): Promise<QuoteLinkRead | null> {
  const [row] = await queryRows<Record<string, unknown>>(orm, quoteLinkStatement(orm), [linkTokenHash(token)]);
  if (!row) return null;
  const version = part(row, 'v');
  const signatures = row.signatures as { signer_id: string; signed_at: string }[];
  return {
    link: scalarRecord<QuoteLink>(orm, QuoteLink, part(row, 'l')),
    quote: scalarRecord<Quote>(orm, Quote, part(row, 'q')),
    version: version.id ? scalarRecord<QuoteVersion>(orm, QuoteVersion, version) : null,
    timeZone: (row.customer_time_zone as string | null) ?? null,
    signatures: signatures.map((s) => ({ signerId: s.signer_id, signedAt: new Date(s.signed_at) })),
  };
}
