import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { DateTime } from 'luxon';
import type { ActivityDeps } from './deps';
import { Invoice, InvoiceLine, Price, Product, Subscription } from '../db/entities';
import { newId } from '../db/ids';
import { multiplyMoney } from '../domain/money';
import { recordNotFound } from './errors';
import { takeInvoiceNumber } from './invoice-numbering';

/** Until payment terms arrive (invoicing issue), emailed subscription invoices are due net 30. */
export const DEFAULT_DAYS_UNTIL_DUE = 30;

export interface CreateSubscriptionInvoiceInput {
  subscriptionId: string;
  period: { index: number; start: string; end: string };
  /** Workflow time at which the invoice is issued. */
  issuedAt: string;
}

export interface InvoiceSummary {
  invoiceId: string;
  number: string;
  status: Invoice['status'];
  currency: string;
  total: number;
  amountDue: number;
  collectionMethod: string;
}

const summarise = (invoice: Invoice): InvoiceSummary => ({
  invoiceId: invoice.id,
  number: invoice.number,
  status: invoice.status,
  currency: invoice.currency,
  total: invoice.total,
  amountDue: invoice.amountDue,
  collectionMethod: invoice.collectionMethod,
});

export function invoicingActivities({ orm, invoiceNumberPrefix }: ActivityDeps) {
  async function findPeriodInvoice(subscriptionId: string, periodIndex: number): Promise<Invoice | null> {
    return orm.em.fork().findOne(Invoice, { subscriptionId, periodIndex });
  }

  return {
    /**
     * Creates (once) the open invoice for one billing period. Unique on (subscription, period):
     * a retried or replayed call returns the invoice that already exists.
     */
    async createSubscriptionInvoice(input: CreateSubscriptionInvoiceInput): Promise<InvoiceSummary> {
      const existing = await findPeriodInvoice(input.subscriptionId, input.period.index);
      if (existing) return summarise(existing);

      try {
        const invoice = await orm.em.fork().transactional(async (em) => {
          const subscription = await em.findOne(Subscription, { id: input.subscriptionId });
          if (!subscription) throw recordNotFound('subscription', input.subscriptionId);
          const price = await em.findOneOrFail(Price, { id: subscription.priceId });
          const product = await em.findOneOrFail(Product, { id: price.productId });

          const lineTotal = multiplyMoney({ amount: subscription.unitAmount, currency: subscription.currency }, subscription.quantity);
          const issuedAt = new Date(input.issuedAt);
          const dueDate =
            subscription.collectionMethod === 'send_invoice'
              ? DateTime.fromJSDate(issuedAt).plus({ days: DEFAULT_DAYS_UNTIL_DUE }).toJSDate()
              : issuedAt;
          const now = new Date();

          const created = em.create(Invoice, {
            id: newId('invoice'),
            number: await takeInvoiceNumber(em, invoiceNumberPrefix),
            customerId: subscription.customerId,
            subscriptionId: subscription.id,
            periodIndex: input.period.index,
            periodStart: new Date(input.period.start),
            periodEnd: new Date(input.period.end),
            status: 'open',
            currency: subscription.currency,
            subtotal: lineTotal.amount,
            tax: 0,
            total: lineTotal.amount,
            amountPaid: 0,
            amountDue: lineTotal.amount,
            collectionMethod: subscription.collectionMethod,
            dueDate,
            paidAt: null,
            createdAt: now,
            updatedAt: now,
          });
          // Foreign keys are plain columns here, so the invoice row must exist before its lines.
          await em.flush();
          em.create(InvoiceLine, {
            id: newId('invoiceLine'),
            invoiceId: created.id,
            description: `${product.name}${price.nickname ? ` (${price.nickname})` : ''}`,
            priceId: price.id,
            quantity: subscription.quantity,
            unitAmount: subscription.unitAmount,
            amount: lineTotal.amount,
            periodStart: new Date(input.period.start),
            periodEnd: new Date(input.period.end),
            position: 1,
          });
          return created;
        });
        return summarise(invoice);
      } catch (err) {
        // Another attempt of this activity won the race; its invoice is the one.
        if (err instanceof UniqueConstraintViolationException) {
          const winner = await findPeriodInvoice(input.subscriptionId, input.period.index);
          if (winner) return summarise(winner);
        }
        throw err;
      }
    },
  };
}
