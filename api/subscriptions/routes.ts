import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Customer, Subscription, SubscriptionPendingItem } from '../../db/entities';
import { newId } from '../../db/ids';
import { waitUntilRecordedUpdate } from '../../workflows/subscription/contract';
import { addSubscriptionRecord, startSubscriptionWorkflow } from '../../services/subscriptions/start-subscription';
import { ErrorSchema, invalidParam, missingReference, notFound, unprocessable } from '../errors';
import { DEFAULT_PAGE_SIZE, IdParams, ListQuery, checkCursor, listOf } from '../schemas';
import { instantRange } from '../instant-range';
import { workflowCallError } from '../workflow-errors';
import { flushRedeemingCoupon, releaseCouponRedemption, resolveSubscriptionBilling } from '../../services/subscriptions/subscription-billing';
import { resolveSubscriptionTerms } from '../../services/subscriptions/subscription-terms';
import { addPartialPeriodCharges } from '../../services/subscriptions/partial-period-charges';
import { Status, CollectionMethod, SubscriptionResource, CreateSubscription } from './schemas';
import { subscriptionResource } from './serialization';
import { resolveItems } from './items';
import { readSubscription } from '../../services/subscriptions/subscription-read';
import { listSubscriptions } from '../../services/subscriptions/subscription-list';
import { ADMIN_AND_SALES, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

/** A start date this far in the past is a client clock skew, treated as "now"; further back is an error. */
const START_DATE_SKEW_MS = 5 * 60 * 1000;
/** Sign-ups in advance, up to ten years ahead. */
const MAX_START_AHEAD_DAYS = 3653;

export const subscriptionsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm, temporal, taskQueue, updateWorkflow }) => {
  const read = { roles: STAFF };

  async function load(id: string): Promise<Subscription> {
    const subscription = await orm.em.fork().findOne(Subscription, { id });
    if (!subscription) throw notFound('subscription', id);
    return subscription;
  }

  app.post(
    '/subscriptions',
    {
      config: { roles: ADMIN_AND_SALES },
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
      try {
        await updateWorkflow(subscription.workflowId, waitUntilRecordedUpdate);
      } catch (err) {
        // The workflow is started and durable; it records its state as soon as a worker picks it up.
        request.log.warn({ err, subscriptionId: id }, 'subscription started; its first state write is still pending');
      }
      return subscriptionResource(await load(id));
    },
  );

  app.get(
    '/subscriptions',
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
      if (q.starting_after !== undefined) await checkCursor(orm.em.fork(), Subscription, q.starting_after);
      const page = await listSubscriptions(
        orm,
        {
          status: q.status,
          customerId: q.customer,
          collectionMethod: q.collection_method,
          nextBillingDate: instantRange('next_billing_date', q['next_billing_date[gte]'], q['next_billing_date[lte]']),
          createdAt: instantRange('created', q['created[gte]'], q['created[lte]']),
          priceId: q.price,
          productId: q.product,
        },
        { limit: q.limit ?? DEFAULT_PAGE_SIZE, startingAfter: q.starting_after },
      );
      return { object: 'list' as const, data: page.records.map(subscriptionResource), has_more: page.hasMore };
    },
  );

  app.get(
    '/subscriptions/:id',
    {
      config: read,
      schema: { tags: ['subscriptions'], summary: 'Retrieve a subscription', params: IdParams, response: { 200: SubscriptionResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const subscription = await readSubscription(orm, request.params.id);
      if (!subscription) throw notFound('subscription', request.params.id);
      return subscriptionResource(subscription);
    },
  );
};
