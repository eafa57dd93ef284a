import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { FilterQuery } from '@mikro-orm/core';
import { Customer, MAX_SUBSCRIPTION_ITEMS, Price, Subscription, SubscriptionPendingItem } from '../../db/entities';
import type { IntervalUnit } from '../../domain/frequency';
import { newId } from '../../db/ids';
import { MoneyError, money, multiplyMoney } from '../../domain/money';
import { waitUntilRecordedUpdate } from '../../workflows/subscription/contract';
import { addSubscriptionRecord, startSubscriptionWorkflow } from '../../services/subscriptions/start-subscription';
import { ErrorSchema, invalidParam, missingReference, notFound, unprocessable } from '../errors';
import { IdParams, ListQuery, Metadata, Nullable, Timestamp, definedOnly, iso, listOf, paginate } from '../schemas';
import { instantRange } from '../instant-range';
import { workflowCallError } from '../workflow-errors';
import { SubscriptionBillingInputFields, SubscriptionBillingResourceFields, subscriptionBillingResource } from '../subscription-billing';
import { flushRedeemingCoupon, releaseCouponRedemption, resolveSubscriptionBilling } from '../../services/subscriptions/subscription-billing';
import { SubscriptionTermsInputFields, SubscriptionTermsResourceFields, subscriptionTermsResource } from '../subscription-terms';
import { resolveSubscriptionTerms } from '../../services/subscriptions/subscription-terms';
import { addPartialPeriodCharges } from '../../services/subscriptions/partial-period-charges';

/** A start date this far in the past is a client clock skew, treated as "now"; further back is an error. */
const START_DATE_SKEW_MS = 5 * 60 * 1000;
/** Sign-ups in advance, up to ten years ahead. */
const MAX_START_AHEAD_DAYS = 3653;

const Status = Type.Enum(['incomplete', 'scheduled', 'trialing', 'active', 'past_due', 'unpaid', 'paused', 'canceled'], {
  description:
    'incomplete: being set up; scheduled: starts later; trialing: in its free trial; past_due: a charge failed and is being retried or awaits payment; ' +
    'unpaid: retries gave up and the dunning policy leaves the subscription unpaid',
});
const CollectionMethod = Type.Union([Type.Literal('charge_automatically'), Type.Literal('send_invoice')]);

const SubscriptionItemResource = Type.Object(
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

const CreateSubscription = Type.Object(
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

/** A subscription with its items (always loaded with it: see the entity). */
export function subscriptionResource(s: Subscription) {
  const items = [...s.items.getItems()].sort((a, b) => a.position - b.position);
  const first = items[0]!;
  return {
    id: s.id,
    object: 'subscription' as const,
    customer: s.customerId,
    price: first.priceId,
    quantity: first.quantity,
    items: {
      object: 'list' as const,
      data: items.map((item) => ({
        id: item.id,
        object: 'subscription_item' as const,
        price: item.priceId,
        quantity: item.quantity,
        unit_amount: item.unitAmount,
        created_at: iso(item.createdAt)!,
      })),
    },
    status: s.status,
    collection_method: s.collectionMethod,
    currency: s.currency.toLowerCase(),
    unit_amount: first.unitAmount,
    recurring: { interval: s.intervalUnit, interval_count: s.intervalCount },
    billing_cycle_anchor: iso(s.billingAnchor)!,
    time_zone: s.timeZone,
    start_date: iso(s.startDate)!,
    current_period:
      s.currentPeriodIndex !== null && s.currentPeriodStart && s.currentPeriodEnd
        ? { index: s.currentPeriodIndex, start: iso(s.currentPeriodStart)!, end: iso(s.currentPeriodEnd)! }
        : null,
    next_billing_date: iso(s.nextBillingDate),
    cancel_at_period_end: s.cancelAtPeriodEnd,
    canceled_at: iso(s.canceledAt),
    paused_at: iso(s.pausedAt),
    workflow_id: s.workflowId,
    metadata: s.metadata,
    ...subscriptionBillingResource(s),
    ...subscriptionTermsResource(s),
    created_at: iso(s.createdAt)!,
  };
}

type RecurringPrice = Price & { intervalUnit: IntervalUnit; intervalCount: number };

/**
 * The items a create request asks for, checked against the catalog and the customer: `price` and
 * `quantity` (one item, params named as such) or `items` (params `items[i][price]`, `items[i][quantity]`).
 * 400 for both or neither, a price listed twice or missing; 422 for a one-time, inactive, other-currency
 * or other-interval price, or an item whose unit_amount × quantity no invoice can hold.
 */
async function resolveItems(
  em: EntityManager,
  body: { price?: string; quantity?: number; items?: { price: string; quantity?: number }[] },
  customer: Customer,
): Promise<{ price: RecurringPrice; items: { priceId: string; quantity: number; unitAmount: number }[] }> {
  if (body.items !== undefined && (body.price !== undefined || body.quantity !== undefined)) {
    throw invalidParam('items', 'Give either price (and quantity) or items, not both.');
  }
  if (body.items === undefined && body.price === undefined) throw invalidParam('items', 'A subscription needs price (and quantity) or items.');
  const requested =
    body.items?.map((item, i) => ({ priceId: item.price, quantity: item.quantity ?? 1, priceParam: `items[${i}][price]`, quantityParam: `items[${i}][quantity]` })) ??
    [{ priceId: body.price!, quantity: body.quantity ?? 1, priceParam: 'price', quantityParam: 'quantity' }];
  requested.forEach((item, i) => {
    if (requested.findIndex((other) => other.priceId === item.priceId) !== i) {
      throw invalidParam(item.priceParam, `Price ${item.priceId} is listed twice; give it once with the total quantity.`);
    }
  });
  const found = new Map((await em.find(Price, { id: { $in: requested.map((item) => item.priceId) } })).map((p) => [p.id, p]));
  const prices = requested.map(({ priceId, quantity, priceParam, quantityParam }, i): RecurringPrice => {
    const price = found.get(priceId);
    if (!price) throw missingReference(priceParam, 'price', priceId);
    if (price.type !== 'recurring' || !price.intervalUnit || !price.intervalCount) {
      throw unprocessable(priceParam, 'price_not_recurring', `Price ${price.id} is one-time; a subscription needs a recurring price.`);
    }
    if (!price.active) throw unprocessable(priceParam, 'price_inactive', `Price ${price.id} is not active.`);
    if (price.currency !== customer.currency) {
      throw unprocessable(
        priceParam,
        'currency_mismatch',
        `Price ${price.id} is in ${price.currency.toLowerCase()} but customer ${customer.id} is billed in ${customer.currency.toLowerCase()}.`,
      );
    }
    const first = found.get(requested[0]!.priceId)!;
    if (i > 0 && (price.intervalUnit !== first.intervalUnit || price.intervalCount !== first.intervalCount)) {
      throw unprocessable(
        priceParam,
        'interval_mismatch',
        `Price ${price.id} bills every ${price.intervalCount} ${price.intervalUnit}(s), ${first.id} every ${first.intervalCount} ${first.intervalUnit}(s); a subscription's items share one billing interval.`,
      );
    }
    try {
      // Every period is invoiced at unit_amount × quantity. Past 2^53 minor units that product cannot be
      // represented: the first invoice failed on every retry, so the workflow never got to record a
      // pause or cancel and those answered 503 (found by schemathesis' stateful phase).
      multiplyMoney(money(price.unitAmount, price.currency), quantity);
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      throw unprocessable(quantityParam, 'amount_too_large', `unit_amount × quantity (${price.unitAmount} × ${quantity}) is larger than an invoice can hold.`);
    }
    return price as RecurringPrice;
  });
  return { price: prices[0]!, items: prices.map((price, i) => ({ priceId: price.id, quantity: requested[i]!.quantity, unitAmount: price.unitAmount })) };
}

export interface SubscriptionRoutesOptions {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  /** How long a request waits for the workflow to answer an update before giving up with a 503. */
  workflowAnswerTimeoutMs: number;
}

export const subscriptionsRoutes: FastifyPluginAsyncTypebox<SubscriptionRoutesOptions> = async (
  app,
  { orm, temporal, taskQueue, workflowAnswerTimeoutMs },
) => {
  /** An update waits for a worker to run it; without a deadline a stopped worker would hang the request. */
  const withinDeadline = <R>(call: () => Promise<R>): Promise<R> => temporal.withDeadline(Date.now() + workflowAnswerTimeoutMs, call);

  const read = { roles: ['admin', 'operator', 'sales'] as const };

  async function load(id: string): Promise<Subscription> {
    const subscription = await orm.em.fork().findOne(Subscription, { id });
    if (!subscription) throw notFound('subscription', id);
    return subscription;
  }

  app.post(
    '/v1/subscriptions',
    {
      config: { roles: ['admin', 'sales'] },
      schema: {
        tags: ['subscriptions'],
        summary: 'Create a subscription and start its billing workflow',
        description: 'Bills period 0 at the start date (now by default), then every interval from that anchor.',
        body: CreateSubscription,
        response: { 200: SubscriptionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const em = orm.em.fork();
      const customer = await em.findOne(Customer, { id: body.customer });
      if (!customer) throw missingReference('customer', 'customer', body.customer);
      // The first item's price sets the currency and the interval every item shares.
      const { price, items } = await resolveItems(em, body, customer);
      const collectionMethod = body.collection_method ?? 'charge_automatically';
      if (collectionMethod === 'charge_automatically' && !customer.defaultPaymentMethod) {
        throw unprocessable(
          'customer',
          'no_payment_method',
          `Customer ${customer.id} has no default_payment_method to charge; set one or use collection_method=send_invoice.`,
        );
      }

      const now = new Date();
      let startDate = now;
      if (body.start_date !== undefined) {
        const requested = new Date(body.start_date);
        if (requested.getTime() < now.getTime() - START_DATE_SKEW_MS) throw invalidParam('start_date', 'start_date must not be in the past.');
        // Every date the subscription derives from it (trial end, anchor, term ends) must stay storable (year ≤ 9999).
        if (requested.getTime() - now.getTime() > MAX_START_AHEAD_DAYS * 86_400_000) {
          throw invalidParam('start_date', `start_date must be within ${MAX_START_AHEAD_DAYS} days (10 years) from now.`);
        }
        startDate = requested.getTime() > now.getTime() ? requested : now;
      }
      // Trial and commitment, then coupon, tax rates and fees: 400 naming the field before anything is written.
      const terms = resolveSubscriptionTerms(body, startDate, customer.timeZone, { unit: price.intervalUnit, count: price.intervalCount });
      const billing = await resolveSubscriptionBilling(em, body, { currency: price.currency, items }, now);

      const id = newId('subscription');
      const record = addSubscriptionRecord(em, {
        id,
        customerId: customer.id,
        timeZone: customer.timeZone,
        currency: price.currency,
        intervalUnit: price.intervalUnit,
        intervalCount: price.intervalCount,
        items,
        collectionMethod,
        startDate,
        trialEnd: terms.trialEnd,
        billingAnchor: terms.anchor?.at ?? null,
        commitment: terms.commitment,
        metadata: body.metadata ?? {},
        couponId: billing.couponId,
        defaultTaxRateIds: billing.defaultTaxRateIds,
        fees: billing.fees,
        now,
      });
      // The coupon's redemption and the insert commit together (a coupon at its limit is a 400 and no subscription).
      await flushRedeemingCoupon(em, billing.couponId, now);
      /** No workflow, no subscription: never leave a record that nothing will ever bill. */
      const discard = async () => {
        await orm.em.fork().nativeDelete(SubscriptionPendingItem, { subscriptionId: id });
        await orm.em.fork().nativeDelete(Subscription, { id });
        await releaseCouponRedemption(orm.em.fork(), billing.couponId);
      };
      if (terms.anchor?.prorate) {
        // After the subscription's row: the charges reference it (plain columns, so one flush would not order them).
        try {
          const interval = { unit: price.intervalUnit, count: price.intervalCount };
          await addPartialPeriodCharges(em, record, record.items.getItems(), startDate, terms.anchor.at, interval, now);
          await em.flush();
        } catch (err) {
          await discard();
          throw err;
        }
      }

      const subscription = await load(id);
      try {
        await startSubscriptionWorkflow(temporal, taskQueue, subscription);
      } catch (err) {
        await discard();
        throw workflowCallError(err, `Cannot start subscription ${id}`);
      }
      const handle = temporal.workflow.getHandle(subscription.workflowId);
      try {
        await withinDeadline(() => handle.executeUpdate(waitUntilRecordedUpdate));
      } catch (err) {
        // The workflow is started and durable; it records its state as soon as a worker picks it up.
        request.log.warn({ err, subscriptionId: id }, 'subscription started; its first state write is still pending');
      }
      return subscriptionResource(await load(id));
    },
  );

  app.get(
    '/v1/subscriptions',
    {
      config: read,
      schema: {
        tags: ['subscriptions'],
        summary: 'List subscriptions, newest first',
        description:
          'Filters combine: status, customer, price (on any item), product (any item on any of its prices), collection_method, ' +
          'next_billing_date[gte]/[lte] and created[gte]/[lte] (ISO instants, inclusive). A subscription without a next ' +
          'billing date (paused, canceled, set to cancel at period end) never matches a next_billing_date filter.',
        querystring: Type.Object(
          {
            ...ListQuery,
            status: Type.Optional(Status),
            customer: Type.Optional(Type.String({ maxLength: 64 })),
            price: Type.Optional(Type.String({ maxLength: 64 })),
            product: Type.Optional(Type.String({ maxLength: 64, description: 'Subscriptions to any price of this product' })),
            collection_method: Type.Optional(CollectionMethod),
            'next_billing_date[gte]': Type.Optional(Type.String({ format: 'date-time', description: 'Next billing at or after' })),
            'next_billing_date[lte]': Type.Optional(Type.String({ format: 'date-time', description: 'Next billing at or before' })),
            'created[gte]': Type.Optional(Type.String({ format: 'date-time' })),
            'created[lte]': Type.Optional(Type.String({ format: 'date-time' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(SubscriptionResource, 'Subscription'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const em = orm.em.fork();
      const filters: FilterQuery<Subscription>[] = [
        definedOnly({
          status: q.status,
          customerId: q.customer,
          collectionMethod: q.collection_method,
          nextBillingDate: instantRange('next_billing_date', q['next_billing_date[gte]'], q['next_billing_date[lte]']),
          createdAt: instantRange('created', q['created[gte]'], q['created[lte]']),
        }) as FilterQuery<Subscription>,
      ];
      // Price and product match any item: a subquery on the items, so a subscription is listed once.
      if (q.price !== undefined) filters.push({ items: { $some: { priceId: q.price } } } as FilterQuery<Subscription>);
      if (q.product !== undefined) {
        // Items keep only their price id: the product's prices first (a handful per product), then those.
        const prices = await em.find(Price, { productId: q.product }, { fields: ['id'] });
        if (prices.length === 0) return { object: 'list' as const, data: [], has_more: false };
        filters.push({ items: { $some: { priceId: { $in: prices.map((p) => p.id) } } } } as FilterQuery<Subscription>);
      }
      return paginate(em, Subscription, { $and: filters }, q, subscriptionResource);
    },
  );

  app.get(
    '/v1/subscriptions/:id',
    {
      config: read,
      schema: { tags: ['subscriptions'], summary: 'Retrieve a subscription', params: IdParams, response: { 200: SubscriptionResource, '4xx': ErrorSchema } },
    },
    async (request) => subscriptionResource(await load(request.params.id)),
  );
};
