/**
 * Plan changes of one subscription item: upgrade, downgrade (another price) or quantity change, now
 * (with proration of that item only) or at the period end, and
 * a preview that returns the exact amounts first. The change itself is an update on the subscription
 * workflow, which owns when it applies; the preview prices it with the same functions the workflow's
 * activity uses (services/subscriptions/plan-change-proration.ts), so a change made with the previewed `proration_date`
 * bills exactly what the preview said.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Price, Subscription, SubscriptionPlanChange } from '../../db/entities';
import { newId } from '../../db/ids';
import { MoneyError, money, multiplyMoney } from '../../domain/money';
import { checkProrationDate } from '../../domain/proration';
import { describeProration, priceOnOtherItem, priceProrationInvoice, subscriptionItemFor } from '../../services/subscriptions/plan-change-proration';
import { changePlanUpdate, type ChangePlanRequest } from '../../workflows/subscription/contract';
import { ErrorSchema, conflict, invalidParam, missingReference, notFound, unprocessable } from '../errors';
import { IdParams } from '../schemas';
import { workflowCallError } from '../workflow-errors';
import { taxResource } from '../invoices/serialization';
import { ChangePlanBody, PlanChangeResource, PlanChangePreview } from './plan-change-schemas';
import { planChangeResource, lastProrationDate } from './plan-change-serialization';
import { STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';
import { PendingChangeResource } from '../workflow-changes';

export const subscriptionPlanChangesRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm, updateWorkflow }) => {
  const act = { roles: STAFF };

  /** The change a request asks for, checked against the catalog; the workflow checks the lifecycle. */
  async function resolve(em: EntityManager, id: string, body: ChangePlanBody) {
    const subscription = await em.findOne(Subscription, { id });
    if (!subscription) throw notFound('subscription', id);
    if (subscription.status === 'canceled') throw conflict('invalid_state_transition', `Subscription ${id} is canceled.`);
    if (subscription.status === 'incomplete') throw conflict('invalid_state_transition', `Subscription ${id} is still being set up; retry shortly.`);
    const items = subscription.items.getItems();
    if (body.item === undefined && items.length > 1) {
      throw invalidParam('item', `Subscription ${id} has ${items.length} items; name the one to change in item.`);
    }
    const item = await subscriptionItemFor(subscription, body.item);
    // An id of another subscription's item is no item of this one.
    if (!item) throw missingReference('item', 'subscription item', body.item ?? '');
    const priceId = body.price ?? item.priceId;
    const price = await em.findOne(Price, { id: priceId });
    if (!price) throw missingReference('price', 'price', priceId);
    if (price.type !== 'recurring' || !price.intervalUnit || !price.intervalCount) {
      throw unprocessable('price', 'price_not_recurring', `Price ${price.id} is one-time; a subscription needs a recurring price.`);
    }
    if (price.id !== item.priceId && !price.active) throw unprocessable('price', 'price_inactive', `Price ${price.id} is not active.`);
    if (price.currency !== subscription.currency) {
      throw unprocessable('price', 'currency_mismatch', `Price ${price.id} is in ${price.currency.toLowerCase()}; the subscription bills in ${subscription.currency.toLowerCase()}.`);
    }
    if (price.intervalUnit !== subscription.intervalUnit || price.intervalCount !== subscription.intervalCount) {
      throw unprocessable(
        'price',
        'interval_mismatch',
        `Price ${price.id} bills every ${price.intervalCount} ${price.intervalUnit}(s), the subscription every ${subscription.intervalCount} ${subscription.intervalUnit}(s); changing the billing frequency needs a new subscription.`,
      );
    }
    if (priceOnOtherItem(subscription, item, price.id)) {
      throw unprocessable('price', 'price_already_on_subscription', `Price ${price.id} is already on another item of subscription ${id}; change that item's quantity instead.`);
    }
    // The item's own unit amount stays when only the quantity changes (the catalog price may have moved since).
    const unitAmount = price.id === item.priceId ? item.unitAmount : price.unitAmount;
    const quantity = body.quantity ?? item.quantity;
    if (price.id === item.priceId && quantity === item.quantity) {
      throw invalidParam(body.price !== undefined ? 'price' : 'quantity', 'The subscription item already has this price and quantity; nothing would change.');
    }
    try {
      multiplyMoney(money(unitAmount, price.currency), quantity);
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      throw unprocessable('quantity', 'amount_too_large', `unit_amount × quantity (${unitAmount} × ${quantity}) is larger than an invoice can hold.`);
    }
    const atPeriodEnd = body.at_period_end ?? false;
    if (atPeriodEnd && body.proration_behavior !== undefined && body.proration_behavior !== 'none') {
      throw invalidParam('proration_behavior', 'A change at period end is not prorated; leave proration_behavior out or set it to none.');
    }
    if (atPeriodEnd && body.proration_date !== undefined) throw invalidParam('proration_date', 'A change at period end has no proration_date.');
    // Whole seconds, as Stripe's proration_date: what a preview returns can be sent back exactly (but
    // never before the period began, which a period started within this second would be).
    const periodStart = subscription.currentPeriodStart?.getTime() ?? 0;
    const prorationDate = new Date(body.proration_date ? Date.parse(body.proration_date) : Math.max(Math.floor(Date.now() / 1000) * 1000, periodStart)).toISOString();
    return {
      subscription,
      item,
      price,
      unitAmount,
      quantity,
      atPeriodEnd,
      prorationBehavior: atPeriodEnd ? ('none' as const) : (body.proration_behavior ?? 'create_prorations'),
      prorationDate,
    };
  }

  app.post(
    '/subscriptions/:id/change-plan/preview',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'Preview a plan change: the exact proration and what is invoiced when',
        description: 'Takes the body of change-plan; nothing changes. Send the returned proration_date with the change to bill exactly this.',
        params: IdParams,
        body: ChangePlanBody,
        response: { 200: PlanChangePreview, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const change = await resolve(em, request.params.id, request.body);
      const { subscription } = change;
      const base = {
        object: 'plan_change_preview' as const,
        subscription: subscription.id,
        item: change.item.id,
        price: change.price.id,
        quantity: change.quantity,
        effective: change.atPeriodEnd ? ('period_end' as const) : ('immediately' as const),
        proration_behavior: change.prorationBehavior,
      };
      const period =
        subscription.currentPeriodStart && subscription.currentPeriodEnd
          ? { start: subscription.currentPeriodStart.toISOString(), end: subscription.currentPeriodEnd.toISOString() }
          : null;
      if (change.atPeriodEnd || change.prorationBehavior === 'none' || period === null || subscription.status === 'scheduled') {
        return { ...base, proration_date: null, credit: null, charge: null, net: 0, invoice_now: null, next_invoice: null };
      }
      if (subscription.status === 'paused') throw conflict('invalid_state_transition', `Subscription ${subscription.id} is paused; resume it first, or change it at period end.`);
      // The workflow's rule on the date (in the period, not before the last prorated change), on what
      // the database knows of the changes made, so a preview never shows what the change would refuse.
      checkProrationDate(period, change.prorationDate, await lastProrationDate(em, subscription.id));
      const lines = await describeProration(em, subscription, change.item, { priceId: change.price.id, unitAmount: change.unitAmount, quantity: change.quantity }, period, change.prorationDate);
      const { credit, charge, net } = lines.proration;
      const invoiceNow = change.prorationBehavior === 'always_invoice' && net > 0 ? await priceProrationInvoice(em, subscription, lines, change.prorationDate, period.end) : null;
      return {
        ...base,
        proration_date: change.prorationDate,
        credit: credit > 0 ? { description: lines.creditDescription, amount: credit } : null,
        charge: charge > 0 ? { description: lines.chargeDescription, amount: charge } : null,
        net,
        invoice_now: invoiceNow
          ? {
              subtotal: invoiceNow.totals.subtotal,
              discount_total: invoiceNow.totals.discountTotal,
              tax: invoiceNow.totals.taxTotal,
              total: invoiceNow.totals.total,
              tax_amounts: invoiceNow.taxAmounts.map(taxResource),
            }
          : null,
        next_invoice: invoiceNow ? null : { charge, credit },
      };
    },
  );

  app.post(
    '/subscriptions/:id/change-plan',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'Upgrade, downgrade or change the quantity of a subscription item, now or at period end',
        description:
          'Changes one item (`item`, required when the subscription has several; a price already on another item is a 422 price_already_on_subscription). ' +
          'Now: the item moves to the new price and quantity, and its part of the billed period is prorated by proration_behavior (the other items are not). ' +
          'At period end: recorded (status scheduled) and applied to the item before the next period is invoiced; a later change (to any item) replaces it. ' +
          'The billing frequency cannot change (422 interval_mismatch).',
        params: IdParams,
        body: ChangePlanBody,
        response: { 200: PlanChangeResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const change = await resolve(em, request.params.id, request.body);
      const update: ChangePlanRequest = {
        changeId: newId('planChange'),
        itemId: change.item.id,
        priceId: change.price.id,
        unitAmount: change.unitAmount,
        quantity: change.quantity,
        interval: { unit: change.price.intervalUnit!, count: change.price.intervalCount! },
        prorationBehavior: change.prorationBehavior,
        prorationDate: change.prorationDate,
        atPeriodEnd: change.atPeriodEnd,
      };
      try {
        await updateWorkflow(change.subscription.workflowId, changePlanUpdate, [update]);
      } catch (err) {
        throw workflowCallError(err, `Cannot change the plan of subscription ${change.subscription.id}`);
      }
      return planChangeResource(await orm.em.fork().findOneOrFail(SubscriptionPlanChange, { id: update.changeId }));
    },
  );

  app.get(
    '/subscriptions/:id/plan-changes',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'The subscription’s plan changes, newest first (a scheduled one included)',
        params: IdParams,
        response: { 200: Type.Object({ object: Type.Literal('list'), data: Type.Array(PlanChangeResource), has_more: Type.Boolean() }, { title: 'SubscriptionPlanChangeList' }), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const subscription = await em.findOne(Subscription, { id: request.params.id });
      if (!subscription) throw notFound('subscription', request.params.id);
      const changes = await em.find(SubscriptionPlanChange, { subscriptionId: subscription.id }, { orderBy: { id: 'desc' }, limit: 101 });
      return { object: 'list' as const, data: changes.slice(0, 100).map(planChangeResource), has_more: changes.length > 100 };
    },
  );
};
