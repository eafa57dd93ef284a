/**
 * A page of subscriptions for `GET /v1/subscriptions`, newest first, read as `readSubscription` reads
 * one (subscription-read.ts): statements on the ORM's pool, rows converted as the ORM converts them into
 * plain records. Through `em.find` a page of ten cost about 2.7 ms of API CPU (query building, entity
 * hydration, change-tracking snapshots of every subscription and item); the answer needs none of it.
 *
 * Only the filters given become SQL, so each combination is its own prepared statement with its own
 * plan: one statement with `($1 is null or status = $1)` for every filter would be planned once,
 * generically, and could use no index for any of them.
 */
import type { EntityName, MikroORM } from '@mikro-orm/postgresql';
import { Price, Subscription, SubscriptionItem } from '../../db/entities';
import { type PreparedStatement, queryRows } from '../../db/pooled-query';
import { scalarColumns, scalarRecord } from '../../db/row-mapping';
import type { SubscriptionItemRecord, SubscriptionRecord } from './subscription-read';

export interface InstantRange {
  $gte?: Date;
  $lte?: Date;
}

/** Every filter is optional and they combine (AND). Price and product match any item of a subscription. */
export interface SubscriptionListFilters {
  status?: string;
  customerId?: string;
  collectionMethod?: string;
  nextBillingDate?: InstantRange;
  createdAt?: InstantRange;
  priceId?: string;
  productId?: string;
}

export interface SubscriptionListPage {
  records: SubscriptionRecord[];
  hasMore: boolean;
}

const field = <T extends object>(orm: MikroORM, entity: EntityName<T>, property: string): string => {
  const props = orm.getMetadata().get(entity).properties as Record<string, { fieldNames?: string[] } | undefined>;
  const name = props[property]?.fieldNames?.[0];
  if (!name) throw new Error(`no column for ${String(entity)}.${property}`);
  return `"${name}"`;
};
const table = <T extends object>(orm: MikroORM, entity: EntityName<T>): string => `"${orm.getMetadata().get(entity).tableName}"`;
const columnList = <T extends object>(orm: MikroORM, entity: EntityName<T>, alias: string): string =>
  scalarColumns(orm, entity).map((column) => `${alias}."${column}"`).join(', ');

/** The statement for one combination of filters; `values` in the order of its parameters. */
function pageStatement(
  orm: MikroORM,
  filters: SubscriptionListFilters,
  startingAfter: string | undefined,
  limit: number,
): { statement: PreparedStatement; values: unknown[] } {
  const values: unknown[] = [];
  const where: string[] = [];
  const shape: string[] = [];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  const sub = (property: string) => `s.${field(orm, Subscription, property)}`;
  const equal = (key: string, property: string, value: string | undefined) => {
    if (value === undefined) return;
    shape.push(key);
    where.push(`${sub(property)} = ${param(value)}`);
  };
  const range = (key: string, property: string, value: InstantRange | undefined) => {
    if (value?.$gte !== undefined) {
      shape.push(`${key}ge`);
      where.push(`${sub(property)} >= ${param(value.$gte)}`);
    }
    if (value?.$lte !== undefined) {
      shape.push(`${key}le`);
      where.push(`${sub(property)} <= ${param(value.$lte)}`);
    }
  };
  equal('st', 'status', filters.status);
  equal('cu', 'customerId', filters.customerId);
  equal('cm', 'collectionMethod', filters.collectionMethod);
  range('nb', 'nextBillingDate', filters.nextBillingDate);
  range('cr', 'createdAt', filters.createdAt);

  const items = table(orm, SubscriptionItem);
  const itemOf = `i.${field(orm, SubscriptionItem, 'subscription')} = s.${field(orm, Subscription, 'id')}`;
  if (filters.priceId !== undefined) {
    shape.push('pr');
    where.push(`exists (select 1 from ${items} as i where ${itemOf} and i.${field(orm, SubscriptionItem, 'priceId')} = ${param(filters.priceId)})`);
  }
  if (filters.productId !== undefined) {
    shape.push('pd');
    const prices = table(orm, Price);
    where.push(
      `exists (select 1 from ${items} as i join ${prices} as p on p.${field(orm, Price, 'id')} = i.${field(orm, SubscriptionItem, 'priceId')}` +
        ` where ${itemOf} and p.${field(orm, Price, 'productId')} = ${param(filters.productId)})`,
    );
  }
  if (startingAfter !== undefined) {
    shape.push('af');
    where.push(`${sub('id')} < ${param(startingAfter)}`);
  }
  const text =
    `select ${columnList(orm, Subscription, 's')} from ${table(orm, Subscription)} as s` +
    (where.length > 0 ? ` where ${where.join(' and ')}` : '') +
    ` order by ${sub('id')} desc limit ${param(limit + 1)}`;
  // Two-letter codes keep the name within PostgreSQL's 63 bytes with every filter given (56 bytes);
  // queryRows refuses a longer one, which PostgreSQL would cut and two combinations could then share.
  return { statement: { name: `subscriptions_page_${shape.join('_') || 'all'}`, text }, values };
}

let itemsStatement: PreparedStatement | undefined;

/** The items of several subscriptions at once, each subscription's in their order. */
function itemsOfStatement(orm: MikroORM): PreparedStatement {
  const subscription = `i.${field(orm, SubscriptionItem, 'subscription')}`;
  // The item's subscription is a relation, not among its scalar columns: selected apart, as `subscription`.
  itemsStatement ??= {
    name: 'subscription_items_of_page',
    text:
      `select ${subscription} as "subscription", ${columnList(orm, SubscriptionItem, 'i')} from ${table(orm, SubscriptionItem)} as i` +
      ` where ${subscription} = any($1) order by ${subscription}, i.${field(orm, SubscriptionItem, 'position')}`,
  };
  return itemsStatement;
}

/**
 * Up to `limit` subscriptions matching `filters`, newest first (ids sort by creation), older than the
 * `startingAfter` subscription when given (the caller checks that it exists), each with its items.
 */
export async function listSubscriptions(
  orm: MikroORM,
  filters: SubscriptionListFilters,
  { limit, startingAfter }: { limit: number; startingAfter?: string },
): Promise<SubscriptionListPage> {
  const { statement, values } = pageStatement(orm, filters, startingAfter, limit);
  const rows = await queryRows<Record<string, unknown>>(orm, statement, values);
  const page = rows.slice(0, limit).map((row) => scalarRecord<Omit<Subscription, 'items'>>(orm, Subscription, row));
  const itemsBySubscription = new Map<string, SubscriptionItemRecord[]>(page.map((s) => [s.id, []]));
  if (page.length > 0) {
    for (const row of await queryRows<Record<string, unknown>>(orm, itemsOfStatement(orm), [page.map((s) => s.id)])) {
      itemsBySubscription.get(row.subscription as string)?.push(scalarRecord<SubscriptionItemRecord>(orm, SubscriptionItem, row));
    }
  }
  return {
    records: page.map((s) => {
      const items = itemsBySubscription.get(s.id) ?? [];
      return { ...s, items: { getItems: () => items } };
    }),
    hasMore: rows.length > limit,
  };
}
