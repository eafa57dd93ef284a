/**
 * Plan changes on subscriptions (upgrade, downgrade, quantity) of one subscription item: its price
 * and/or quantity change, and only that item is prorated. The subscription workflow decides
 * when a change applies (now, or at the period end) and these activities write it. The proration of a
 * change made in the middle of a billed period (domain/proration.ts) is invoiced now
 * (`always_invoice`), left for the next period's invoice (`create_prorations`, as at Stripe), or
 * skipped (`none`). The API's preview prices the same way (services/subscriptions/plan-change-proration.ts),
 * so the preview equals the change made with the same proration date, to the cent.
 */
import { LockMode, type EntityManager } from '@mikro-orm/core';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import {
  Invoice,
  Subscription,
  SubscriptionItem,
  SubscriptionPendingItem,
  SubscriptionPlanChange,
  type ProrationBehavior,
  type SubscriptionPlanChange as PlanChangeRow,
} from '../db/entities';
import { newId } from '../db/ids';
import { computeDueDate, defaultPaymentTerms } from '../domain/payment-terms';
import { recordNotFound } from './errors';
import { issueInvoice, priceInvoice } from '../services/invoices/invoice-records';
import { DEFAULT_INVOICE_NUMBER_FORMAT } from '../services/invoices/invoice-numbering';
import { subscriptionTaxRates } from '../services/subscriptions/subscription-invoice';
import { summariseInvoice, type InvoiceSummary } from './invoicing';
import { describeProration, priceOnOtherItem, priceProrationInvoice, subscriptionItemFor } from '../services/subscriptions/plan-change-proration';

export interface PlanChangeTarget {
  /** Chosen by the API for the request; the change is written once under it. */
  changeId: string;
  subscriptionId: string;
  /** The subscription item that changes; absent in changes requested before items existed (the first item). */
  itemId?: string;
  priceId: string;
  unitAmount: number;
  quantity: number;
  prorationBehavior: ProrationBehavior;
}

export interface ImmediatePlanChange extends PlanChangeTarget {
  /** The billed period the change falls in, or null when nothing is billed yet (no proration). */
  period: { index: number; start: string; end: string } | null;
  prorationDate: string | null;
}

export function planChangeActivities({ orm, invoiceNumberPrefix, invoiceNumberPadding }: ActivityDeps) {
  const numbering = { prefix: invoiceNumberPrefix, padding: invoiceNumberPadding ?? DEFAULT_INVOICE_NUMBER_FORMAT.padding };

  /**
   * The row of the change, and the subscription (locked against billing and other changes) with the item
   * it changes. The API checked the target price is on no other item; one put there meanwhile fails the
   * change for good rather than break the one-item-per-price rule.
   */
  async function lockFor(
    em: EntityManager,
    target: PlanChangeTarget,
  ): Promise<{ subscription: Subscription; item: SubscriptionItem; existing: PlanChangeRow | null }> {
    const subscription = await em.findOne(Subscription, { id: target.subscriptionId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!subscription) throw recordNotFound('subscription', target.subscriptionId);
    const item = await subscriptionItemFor(subscription, target.itemId);
    if (!item) throw recordNotFound('subscription item', target.itemId ?? `of subscription ${subscription.id}`);
    const existing = await em.findOne(SubscriptionPlanChange, { id: target.changeId });
    if (!existing && priceOnOtherItem(subscription, item, target.priceId)) {
      throw ApplicationFailure.nonRetryable(`Price ${target.priceId} is already on another item of subscription ${subscription.id}`, 'PriceAlreadyOnSubscription');
    }
    return { subscription, item, existing };
  }

  function changeRow(em: EntityManager, subscription: Subscription, item: SubscriptionItem, target: PlanChangeTarget, fields: Partial<PlanChangeRow>): PlanChangeRow {
    return em.create(SubscriptionPlanChange, {
      id: target.changeId,
      subscriptionId: subscription.id,
      subscriptionItemId: item.id,
      fromPriceId: item.priceId,
      toPriceId: target.priceId,
      fromQuantity: item.quantity,
      toQuantity: target.quantity,
      fromUnitAmount: item.unitAmount,
      toUnitAmount: target.unitAmount,
      effective: 'immediately',
      prorationBehavior: target.prorationBehavior,
      prorationDate: null,
      credit: 0,
      charge: 0,
      invoiceId: null,
      status: 'applied',
      appliedAt: null,
      createdAt: new Date(),
      ...fields,
    });
  }

  /** A change waiting for the period end is replaced by any later change (to any item: one waits at a time). */
  const supersedeScheduled = (em: EntityManager, subscriptionId: string) =>
    em.nativeUpdate(SubscriptionPlanChange, { subscriptionId, status: 'scheduled' }, { status: 'superseded' });

  return {
    /**
     * Applies a change now: the item's price and quantity change, and the proration of the
     * billed period is invoiced now, queued for the next invoice, or skipped. Returns the invoice made
     * now, for the workflow to collect. Written once per change id: a retry returns what was written.
     */
    async changeSubscriptionPlan(change: ImmediatePlanChange): Promise<{ invoice: InvoiceSummary | null }> {
      return orm.em.fork().transactional(async (em) => {
        const { subscription, item, existing } = await lockFor(em, change);
        if (existing) {
          const invoice = existing.invoiceId ? await em.findOneOrFail(Invoice, { id: existing.invoiceId }) : null;
          return { invoice: invoice ? summariseInvoice(invoice) : null };
        }
        const now = new Date();
        const prorates = change.period !== null && change.prorationDate !== null && change.prorationBehavior !== 'none';
        const lines = prorates ? await describeProration(em, subscription, item, change, change.period!, change.prorationDate!) : null;
        let invoice: Invoice | null = null;

        if (lines && change.prorationBehavior === 'always_invoice' && lines.proration.net > 0) {
          const priced = await priceProrationInvoice(em, subscription, lines, change.prorationDate!, change.period!.end);
          const paymentTerms = defaultPaymentTerms(subscription.collectionMethod);
          invoice = await issueInvoice(
            em,
            numbering,
            {
              customerId: subscription.customerId,
              subscriptionId: subscription.id,
              // Not a period invoice: the (subscription, period) uniqueness stays with the period's own.
              periodIndex: null,
              periodStart: new Date(change.prorationDate!),
              periodEnd: new Date(change.period!.end),
              currency: subscription.currency,
              collectionMethod: subscription.collectionMethod,
              paymentTerms,
              dueDate: computeDueDate(paymentTerms, now, subscription.timeZone),
              finalizedAt: now,
            },
            priced,
          );
        } else if (lines && change.prorationBehavior !== 'none') {
          // create_prorations, or an always_invoice change that owes nothing now: the next invoice nets them.
          const item = (kind: 'proration_charge' | 'proration_credit', amount: number, description: string) =>
            em.create(SubscriptionPendingItem, {
              id: newId('pendingItem'),
              subscriptionId: subscription.id,
              kind,
              description,
              amount,
              periodStart: new Date(change.prorationDate!),
              periodEnd: new Date(change.period!.end),
              sourceId: change.changeId,
              invoiceId: null,
              createdAt: now,
            });
          if (lines.proration.charge > 0) item('proration_charge', lines.proration.charge, lines.chargeDescription);
          if (lines.proration.credit > 0) item('proration_credit', lines.proration.credit, lines.creditDescription);
        }

        await supersedeScheduled(em, subscription.id);
        changeRow(em, subscription, item, change, {
          prorationDate: prorates ? new Date(change.prorationDate!) : null,
          credit: lines?.proration.credit ?? 0,
          charge: lines?.proration.charge ?? 0,
          invoiceId: invoice?.id ?? null,
          appliedAt: now,
        });
        Object.assign(item, { priceId: change.priceId, unitAmount: change.unitAmount, quantity: change.quantity, updatedAt: now });
        subscription.updatedAt = now;
        return { invoice: invoice ? summariseInvoice(invoice) : null };
      });
    },

    /** Records a change for the period end (replacing one already waiting); the workflow applies it then. */
    async scheduleSubscriptionPlanChange(change: PlanChangeTarget): Promise<void> {
      await orm.em.fork().transactional(async (em) => {
        const { subscription, item, existing } = await lockFor(em, change);
        if (existing) return;
        await supersedeScheduled(em, subscription.id);
        changeRow(em, subscription, item, change, { effective: 'period_end', prorationBehavior: 'none', status: 'scheduled' });
      });
    },

    /**
     * When a subscription ends, charges still waiting for its next invoice (prorations queued by plan
     * changes, the partial period before a billing anchor) would never be billed: they go onto a final
     * invoice, less the credits waiting with them, with the subscription's tax rates. Null when nothing
     * is owed (a credit larger than the charges is left unused: there is no invoice to take it).
     * Idempotent: the invoice is issued at `issuedAt` (workflow time), so a retry finds the one it made.
     */
    async invoiceLeftoverCharges({ subscriptionId, issuedAt }: { subscriptionId: string; issuedAt: string }): Promise<InvoiceSummary | null> {
      return orm.em.fork().transactional(async (em) => {
        const subscription = await em.findOne(Subscription, { id: subscriptionId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!subscription) throw recordNotFound('subscription', subscriptionId);
        const at = new Date(issuedAt);
        const made = await em.findOne(Invoice, { subscriptionId, periodIndex: null, finalizedAt: at, status: { $ne: 'draft' } });
        if (made) return summariseInvoice(made);
        const waiting = await em.find(SubscriptionPendingItem, { subscriptionId, invoiceId: null }, { orderBy: { createdAt: 'asc', id: 'asc' } });
        const charges = waiting.filter((item) => item.kind === 'proration_charge');
        const credits = waiting.filter((item) => item.kind !== 'proration_charge');
        const owed = charges.reduce((sum, item) => sum + item.amount, 0) - credits.reduce((sum, item) => sum + item.amount, 0);
        if (owed <= 0) return null;
        const priced = priceInvoice({
          currency: subscription.currency,
          lines: charges.map((item) => ({
            description: item.description,
            priceId: null,
            unitAmount: item.amount,
            quantity: 1,
            periodStart: item.periodStart,
            periodEnd: item.periodEnd,
          })),
          discounts: credits.map((item) => ({ type: 'fixed_amount' as const, amount: item.amount, description: item.description })),
          taxRates: await subscriptionTaxRates(em, subscription.defaultTaxRateIds ?? []),
        });
        const paymentTerms = defaultPaymentTerms(subscription.collectionMethod);
        const invoice = await issueInvoice(
          em,
          numbering,
          {
            customerId: subscription.customerId,
            subscriptionId,
            // Not a period invoice: the (subscription, period) uniqueness stays with the periods' own.
            periodIndex: null,
            periodStart: charges.reduce<Date | null>((first, item) => (item.periodStart && (!first || item.periodStart < first) ? item.periodStart : first), null),
            periodEnd: charges.reduce<Date | null>((last, item) => (item.periodEnd && (!last || item.periodEnd > last) ? item.periodEnd : last), null),
            currency: subscription.currency,
            collectionMethod: subscription.collectionMethod,
            paymentTerms,
            dueDate: computeDueDate(paymentTerms, at, subscription.timeZone),
            finalizedAt: at,
          },
          priced,
        );
        for (const item of waiting) item.invoiceId = invoice.id;
        return summariseInvoice(invoice);
      });
    },

    /**
     * At the period end: the waiting change becomes its item's price and quantity before the next
     * period is invoiced (no proration: nothing of the new period was billed yet). With `supersede`, the
     * subscription ends instead and the change never applies.
     */
    async applyScheduledPlanChange({ subscriptionId, changeId, supersede = false }: { subscriptionId: string; changeId: string; supersede?: boolean }): Promise<void> {
      await orm.em.fork().transactional(async (em) => {
        const subscription = await em.findOne(Subscription, { id: subscriptionId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!subscription) throw recordNotFound('subscription', subscriptionId);
        const row = await em.findOne(SubscriptionPlanChange, { id: changeId, status: 'scheduled' });
        if (!row) return; // applied by an earlier attempt, or replaced by a later change
        const now = new Date();
        if (supersede) {
          row.status = 'superseded';
          return;
        }
        const item = await subscriptionItemFor(subscription, row.subscriptionItemId);
        if (!item) throw recordNotFound('subscription item', row.subscriptionItemId);
        // Every change supersedes a waiting one, so its price cannot have reached another item since; never break the rule if it did.
        if (priceOnOtherItem(subscription, item, row.toPriceId)) {
          row.status = 'superseded';
          return;
        }
        Object.assign(row, { status: 'applied', appliedAt: now, fromPriceId: item.priceId, fromQuantity: item.quantity, fromUnitAmount: item.unitAmount });
        Object.assign(item, { priceId: row.toPriceId, unitAmount: row.toUnitAmount, quantity: row.toQuantity, updatedAt: now });
        subscription.updatedAt = now;
      });
    },
  };
}
