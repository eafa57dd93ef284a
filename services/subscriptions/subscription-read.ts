import type { MikroORM } from '@mikro-orm/postgresql';
import { Subscription, SubscriptionItem } from '../../db/entities';
import { type PreparedStatement, queryRows } from '../../db/pooled-query';
import { scalarColumns, scalarRecord } from '../../db/row-mapping';

/** A subscription as read for an answer: its columns and its items, nothing managed. The entity is one too. */
export type SubscriptionRecord = Omit<Subscription, 'items'> & { items: { getItems(): readonly SubscriptionItemRecord[] } };
export type SubscriptionItemRecord = Omit<SubscriptionItem, 'subscription'>;

export interface SubscriptionReadStatements {
  byId: PreparedStatement;
  items: PreparedStatement;
}

let statements: SubscriptionReadStatements | undefined;

/**
 * The two statements the ORM issues for `findOne(Subscription, { id })` (its items are eager, loaded
 * apart), with `*` spelled out as the entities' columns: a prepared `select *` would fail with
 * "cached plan must not change result type" on every pooled connection once a migration adds a
 * column, while a listed column set stays valid.
 */
export function subscriptionReadStatements(orm: MikroORM): SubscriptionReadStatements {
  if (!statements) {
    const columns = (entity: typeof Subscription | typeof SubscriptionItem) => scalarColumns(orm, entity).map((column) => `"s0"."${column}"`).join(', ');
    statements = {
      byId: { name: 'subscription_by_id', text: `select ${columns(Subscription)} from "subscriptions" as "s0" where "s0"."id" = $1 limit 1` },
      items: {
        name: 'subscription_items_of',
        text: `select ${columns(SubscriptionItem)} from "subscription_items" as "s0" where "s0"."subscription_id" in ($1) order by "s0"."position" asc`,
      },
    };
  }
  return statements;
}

/**
 * A subscription with its items, for answering a read: the ORM's own two statements, run as prepared
 * statements on its pool (db/pooled-query.ts), their rows converted as the ORM converts them
 * (db/row-mapping.ts) into plain records. Building the query and managing entities is what the ORM
 * spends most of a GET's CPU on; the answer needs neither. Read-only by construction.
 */
export async function readSubscription(orm: MikroORM, id: string): Promise<SubscriptionRecord | null> {
  const { byId, items: itemsOf } = subscriptionReadStatements(orm);
  const [row] = await queryRows<Record<string, unknown>>(orm, byId, [id]);
  if (!row) return null;
  const itemRows = await queryRows<Record<string, unknown>>(orm, itemsOf, [id]);
  const items = itemRows.map((item) => scalarRecord<SubscriptionItemRecord>(orm, SubscriptionItem, item));
  return { ...scalarRecord<Omit<Subscription, 'items'>>(orm, Subscription, row), items: { getItems: () => items } };
}
