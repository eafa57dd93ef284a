import { Migration } from '@mikro-orm/migrations';

/**
 * Subscription items: a subscription bills 1..20 prices (distinct, same currency and interval) on one
 * cycle, each with its quantity and the unit amount copied from the price when the item was created.
 * subscription_items becomes the only place a subscription's prices live: every existing subscription
 * gets one item (position 0) from its price_id, quantity and unit_amount, and those columns go.
 * A plan change names the item it changes.
 */
export class Migration20261122180000_subscription_items extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table subscription_items (
        id text primary key,
        subscription_id text not null references subscriptions (id) on delete cascade,
        price_id text not null references prices (id),
        quantity integer not null check (quantity > 0),
        unit_amount bigint not null check (unit_amount >= 0),
        position integer not null check (position >= 0 and position < 20),
        created_at timestamptz not null,
        updated_at timestamptz not null,
        unique (subscription_id, price_id),
        unique (subscription_id, position)
      );
      -- The list filters by price and by product (its prices) match any item.
      create index subscription_items_price_idx on subscription_items (price_id, subscription_id);

      -- One item per existing subscription. Its id is a UUIDv7 (as db/ids.ts makes them) whose time is the
      -- subscription's creation, so items sort like their subscriptions; the random part comes from a v4 UUID.
      insert into subscription_items (id, subscription_id, price_id, quantity, unit_amount, position, created_at, updated_at)
      select 'si_' || lpad(to_hex(floor(extract(epoch from s.created_at) * 1000)::bigint), 12, '0') || '7' || substr(s.r, 14, 3) || substr(s.r, 17, 16),
             s.id, s.price_id, s.quantity, s.unit_amount, 0, s.created_at, s.updated_at
        from (select subscriptions.*, replace(gen_random_uuid()::text, '-', '') as r from subscriptions) s;

      alter table subscriptions
        drop column price_id,
        drop column quantity,
        drop column unit_amount;

      -- Every change so far was to a subscription's only item.
      alter table subscription_plan_changes add column subscription_item_id text references subscription_items (id);
      update subscription_plan_changes c set subscription_item_id = i.id from subscription_items i where i.subscription_id = c.subscription_id;
      alter table subscription_plan_changes alter column subscription_item_id set not null;
    `);
  }

  override async down(): Promise<void> {
    // Back to one price per subscription: the first item's (later items are lost).
    this.addSql(`
      alter table subscription_plan_changes drop column if exists subscription_item_id;
      alter table subscriptions
        add column price_id text references prices (id),
        add column quantity integer check (quantity > 0),
        add column unit_amount bigint check (unit_amount >= 0);
      update subscriptions s set price_id = i.price_id, quantity = i.quantity, unit_amount = i.unit_amount
        from subscription_items i where i.subscription_id = s.id and i.position = 0;
      alter table subscriptions
        alter column price_id set not null,
        alter column quantity set not null,
        alter column unit_amount set not null;
      drop table if exists subscription_items;
    `);
  }
}
