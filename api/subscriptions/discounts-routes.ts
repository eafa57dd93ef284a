import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LockMode } from '@mikro-orm/core';
import { Invoice, Subscription } from '../../db/entities';
import { billingPeriod } from '../../domain/calendar';
import { lineTaxAmount } from '../../services/invoices/invoice-records';
import { priceSubscriptionPeriod } from '../../services/subscriptions/subscription-invoice';
import { ErrorSchema, conflict, notFound } from '../errors';
import { IdParams } from '../schemas';
import { nextPeriodToBill, redeemCoupon, redeemableCoupon } from '../../services/subscriptions/subscription-billing';
import { pricedTotals } from '../invoices/serialization';
import { SubscriptionResource } from './schemas';
import { subscriptionResource } from './serialization';
import { ApplyDiscount, UpcomingInvoice } from './discount-schemas';
import { ADMIN_AND_SALES, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

/**
 * A subscription's discount (apply, replace, remove) and its upcoming invoice.
 *
 * The discount routes write only discount configuration (coupon, its start period, when it was applied)
 * on the subscription row, never lifecycle state (status, periods, dates), which stays the workflow's:
 * like the catalog, nobody's workflow owns it, and the invoicing activity reads it when it prices a period.
 */
export const subscriptionDiscountsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm }) => {
  // Discounts are commercial terms: the people who sell subscriptions give them.
  const write = { roles: ADMIN_AND_SALES };
  const read = { roles: STAFF };

  async function load(id: string): Promise<Subscription> {
    const subscription = await orm.em.fork().findOne(Subscription, { id });
    if (!subscription) throw notFound('subscription', id);
    return subscription;
  }

  const canceled = (s: Subscription) => conflict('subscription_canceled', `Subscription ${s.id} is canceled; its discount can no longer change.`);

  app.post(
    '/subscriptions/:id/discount',
    {
      config: write,
      schema: {
        tags: ['subscriptions'],
        summary: 'Apply a coupon to a subscription (replacing its current one)',
        description:
          'Redeems the coupon (400 naming `coupon` when it does not exist, cannot be redeemed any more or is an amount in another currency). ' +
          'Its duration counts from the next period to bill; invoices already issued do not change.',
        params: IdParams,
        body: ApplyDiscount,
        response: { 200: SubscriptionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const id = request.params.id;
      const now = new Date();
      const subscription = await load(id);
      if (subscription.status === 'canceled') throw canceled(subscription);
      const coupon = await redeemableCoupon(orm.em.fork(), request.body.coupon, subscription.currency, now);
      await orm.em.fork().transactional(async (em) => {
        // The row lock orders this with the invoicing activity, which reads the subscription FOR SHARE: an
        // invoice being created either commits first (and the coupon starts after its period) or waits and
        // is priced with the new coupon. The read model's next billing date can lag an invoice just created,
        // hence the later of the two.
        const locked = await em.findOne(Subscription, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!locked) throw notFound('subscription', id);
        // Canceled meanwhile: throwing rolls the transaction back, redemption included.
        if (locked.status === 'canceled') throw canceled(locked);
        const lastInvoiced = await em.findOne(Invoice, { subscriptionId: id, periodIndex: { $ne: null } }, { orderBy: { periodIndex: 'desc' } });
        const startPeriod = Math.max(nextPeriodToBill(locked), (lastInvoiced?.periodIndex ?? -1) + 1);
        await redeemCoupon(em, coupon.id, now);
        await em.nativeUpdate(Subscription, { id }, { couponId: coupon.id, discountStartPeriod: startPeriod, discountAppliedAt: now, updatedAt: now });
      });
      return subscriptionResource(await load(id));
    },
  );

  app.delete(
    '/subscriptions/:id/discount',
    {
      config: write,
      schema: {
        tags: ['subscriptions'],
        summary: 'Remove the subscription’s coupon',
        description: 'Later invoices are not discounted; issued ones do not change. 404 when the subscription has no discount.',
        params: IdParams,
        response: { 200: SubscriptionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const id = request.params.id;
      const subscription = await load(id);
      if (subscription.status === 'canceled') throw canceled(subscription);
      const now = new Date();
      const removed = await orm.em
        .fork()
        .nativeUpdate(Subscription, { id, couponId: { $ne: null } }, { couponId: null, discountStartPeriod: null, discountAppliedAt: null, updatedAt: now });
      if (removed === 0) throw notFound('discount on subscription', id);
      return subscriptionResource(await load(id));
    },
  );

  app.get(
    '/subscriptions/:id/upcoming-invoice',
    {
      config: read,
      schema: {
        tags: ['subscriptions'],
        summary: 'Preview the invoice of the next billing date',
        description:
          '409 `subscription_not_billing` when nothing is scheduled: canceled, paused (no period is billed while paused) or set to ' +
          'cancel at period end (the period end cancels instead of billing).',
        params: IdParams,
        response: { 200: UpcomingInvoice, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const subscription = await em.findOne(Subscription, { id: request.params.id });
      if (!subscription) throw notFound('subscription', request.params.id);
      if (subscription.status === 'canceled' || subscription.nextBillingDate === null) {
        const why =
          subscription.status === 'canceled'
            ? 'is canceled'
            : subscription.status === 'paused'
              ? 'is paused'
              : subscription.cancelAtPeriodEnd
                ? 'cancels at the end of its current period'
                : 'has no next billing date';
        throw conflict('subscription_not_billing', `Subscription ${subscription.id} ${why}: it has no upcoming invoice.`);
      }
      const index = nextPeriodToBill(subscription);
      const period = billingPeriod(
        subscription.billingAnchor.toISOString(),
        subscription.timeZone,
        { unit: subscription.intervalUnit, count: subscription.intervalCount },
        index,
      );
      // The workflow issues the invoice when it wakes at the period start.
      const draft = await priceSubscriptionPeriod(em, subscription, period, new Date(period.start));
      const { totals } = draft.priced;
      return {
        object: 'upcoming_invoice' as const,
        customer: subscription.customerId,
        subscription: subscription.id,
        currency: subscription.currency.toLowerCase(),
        collection_method: subscription.collectionMethod,
        payment_terms: draft.paymentTerms,
        period: { index, start: draft.period.start.toISOString(), end: draft.period.end.toISOString() },
        date: draft.issuedAt.toISOString(),
        due_date: draft.dueDate.toISOString(),
        // Charged as soon as it is issued; an emailed invoice waits for the customer.
        next_payment_attempt: subscription.collectionMethod === 'charge_automatically' ? draft.issuedAt.toISOString() : null,
        coupon: draft.couponId,
        ...pricedTotals(draft.priced),
        lines: draft.priced.lines.map((line, i) => ({
          description: line.description,
          price: line.priceId,
          quantity: line.quantity,
          unit_amount: line.unitAmount,
          amount: totals.lines[i]!.amount,
          discount_amount: totals.lines[i]!.discountAmount,
          tax_amount: lineTaxAmount(draft.priced, i),
          // The line's own period (a partial period before the anchor, a proration), never the invoice's.
          period: line.periodStart && line.periodEnd ? { start: line.periodStart.toISOString(), end: line.periodEnd.toISOString() } : null,
        })),
      };
    },
  );
};
