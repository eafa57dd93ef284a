import type { MikroORM } from '@mikro-orm/postgresql';
import { Subscription, SubscriptionItem } from '../../db/entities';
import { type PreparedStatement, queryRows } from '../../db/pooled-query';
import { scalarRecord } from '../../db/row-mapping';

/** A subscription as read for an answer: its columns and its items, nothing managed. The entity is one too. */
export type SubscriptionRecord = Omit<Subscription, 'items'> & { items: { getItems(): readonly SubscriptionItemRecord[] } };
export type SubscriptionItemRecord = Omit<SubscriptionItem, 'subscription'>;

/** The two statements the ORM issues for `findOne(Subscription, { id })` (its items are eager, loaded apart). */
export const SUBSCRIPTION_BY_ID: PreparedStatement = {
  name: 'subscription_by_id',
  text: 'select "s0".* from "subscriptions" as "s0" where "s0"."id" = $1 limit 1',
};
export const SUBSCRIPTION_ITEMS: PreparedStatement = {
  name: 'subscription_items_of',
  text: 'select "s0".* from "subscription_items" as "s0" where "s0"."subscription_id" in ($1) order by "s0"."position" asc',
};

/**
 * A subscription with its items, for answering a read: the ORM's own two statements, run as prepared
 * statements on its pool (db/pooled-query.ts), their rows converted as the ORM converts them
 * (db/row-mapping.ts) into plain records. Building the query and managing entities is what the ORM
 * spends most of a GET's CPU on; the answer needs neither. Read-only by construction.
 */
export async function readSubscription(orm: MikroORM, id: string): Promise<SubscriptionRecord | null> {
  const [row] = await queryRows<Record<string, unknown>>(orm, SUBSCRIPTION_BY_ID, [id]);
  if (!row) return null;
  const itemRows = await queryRows<Record<string, unknown>>(orm, SUBSCRIPTION_ITEMS, [id]);
  const items = itemRows.map((item) => scalarRecord<SubscriptionItemRecord>(orm, SubscriptionItem, item));
  return { ...scalarRecord<Omit<Subscription, 'items'>>(orm, Subscription, row), items: { getItems: () => items } };
}
