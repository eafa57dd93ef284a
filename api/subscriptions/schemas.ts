/** The request and response shapes of `/v1/subscriptions`. */
import { Type } from 'typebox';
import { MAX_SUBSCRIPTION_ITEMS } from '../../db/entities';
import { Metadata, Nullable, Timestamp } from '../schemas';
import { SubscriptionBillingInputFields, SubscriptionBillingResourceFields } from '../subscription-billing';
import { SubscriptionTermsInputFields, SubscriptionTermsResourceFields } from '../subscription-terms';

export const Status = Type.Enum(['incomplete', 'scheduled', 'trialing', 'active', 'past_due', 'unpaid', 'paused', 'canceled'], {
  description:
    'incomplete: being set up; scheduled: starts later; trialing: in its free trial; past_due: a charge failed and is being retried or awaits payment; ' +
    'unpaid: retries gave up and the dunning policy leaves the subscription unpaid',
});
export const CollectionMethod = Type.Union([Type.Literal('charge_automatically'), Type.Literal('send_invoice')]);

export const SubscriptionItemResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('subscription_item'),
    price: Type.String(),
    quantity: Type.Integer(),
    unit_amount: Type.Integer({ description: 'Minor units, copied from the price when the item got it: catalog edits never re-price it' }),
    created_at: Timestamp,
  },
  { $id: 'SubscriptionItem' },
);

export const SubscriptionResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('subscription'),
    customer: Type.String(),
    price: Type.String({ description: 'The first item’s price (items.data[0]), kept for clients written before items' }),
    quantity: Type.Integer({ description: 'The first item’s quantity' }),
    items: Type.Object(
      { object: Type.Literal('list'), data: Type.Array(SubscriptionItemResource, { minItems: 1, maxItems: MAX_SUBSCRIPTION_ITEMS }) },
      { description: 'What each period bills: one invoice line per item, in this order' },
    ),
    status: Status,
    collection_method: CollectionMethod,
    currency: Type.String(),
    unit_amount: Type.Integer({ description: 'The first item’s unit amount' }),
    recurring: Type.Object({ interval: Type.String(), interval_count: Type.Integer() }),
    billing_cycle_anchor: Timestamp,
    time_zone: Type.String(),
    start_date: Timestamp,
    current_period: Nullable(Type.Object({ index: Type.Integer(), start: Timestamp, end: Timestamp })),
    next_billing_date: Nullable(Timestamp),
    cancel_at_period_end: Type.Boolean(),
    canceled_at: Nullable(Timestamp),
    paused_at: Nullable(Timestamp),
    workflow_id: Type.String(),
    metadata: Metadata,
    ...SubscriptionBillingResourceFields,
    ...SubscriptionTermsResourceFields,
    created_at: Timestamp,
  },
  { $id: 'Subscription' },
);

export const CreateSubscription = Type.Object(
  {
    customer: Type.String({ minLength: 1, maxLength: 64 }),
    price: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A recurring price in the customer currency: one item (or give items)' })),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'The quantity of price; default 1' })),
    items: Type.Optional(
      Type.Array(
        Type.Object(
          {
            price: Type.String({ minLength: 1, maxLength: 64 }),
            quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Default 1' })),
          },
          { additionalProperties: false },
        ),
        {
          minItems: 1,
          maxItems: MAX_SUBSCRIPTION_ITEMS,
          description: 'Instead of price and quantity: 1 to 20 distinct recurring prices in the customer currency, all on the same interval, billed on one invoice per period in this order',
        },
      ),
    ),
    start_date: Type.Optional(Type.String({ format: 'date-time', description: 'Start later (nothing is billed before); default now' })),
    collection_method: Type.Optional(CollectionMethod),
    metadata: Type.Optional(Metadata),
    ...SubscriptionBillingInputFields,
    ...SubscriptionTermsInputFields,
  },
  { additionalProperties: false },
);
