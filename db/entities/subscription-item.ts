import { EntitySchema } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';
import type { Subscription } from './subscription';

/** Most items one subscription holds (distinct prices, the subscription's currency and interval). */
export const MAX_SUBSCRIPTION_ITEMS = 20;

/**
 * One price a subscription bills every period, with its quantity. The subscription's items are the only
 * record of what it bills; each period's invoice has one line per item, in `position` order.
 */
export class SubscriptionItem {
  id!: string;
  subscription!: Subscription;
  priceId!: string;
  quantity!: number;
  /** Copied from the price when the item is created (or its price changes), so a later catalog edit never re-prices it. */
  unitAmount!: number;
  /** 0 for the first item; the order of the invoice lines and of the resource's `items`. */
  position!: number;
  createdAt!: Date;
  updatedAt!: Date;
}

export const SubscriptionItemSchema = new EntitySchema<SubscriptionItem>({
  class: SubscriptionItem,
  tableName: 'subscription_items',
  properties: {
    id: { type: 'string', primary: true },
    subscription: { kind: 'm:1', entity: 'Subscription', fieldName: 'subscription_id', deleteRule: 'cascade' },
    priceId: { type: 'string' },
    quantity: { type: 'integer' },
    unitAmount: minorUnits(),
    position: { type: 'integer' },
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});
