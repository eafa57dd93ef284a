import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { ActivityDeps } from './deps';
import { Invoice, InvoiceLine, Price, Product, Subscription } from '../db/entities';
import { newId } from '../db/ids';
import { computeInvoiceTotals } from '../domain/pricing';
import { computeDueDate, defaultPaymentTerms } from '../domain/payment-terms';
import { recordNotFound } from './errors';
import { DEFAULT_INVOICE_NUMBER_FORMAT, takeInvoiceNumber } from './invoice-numbering';

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
  // Subscription invoices are created open, numbered in the same transaction.
  number: invoice.number ?? '',
  status: invoice.status,
  currency: invoice.currency,
  total: invoice.total,
  amountDue: invoice.amountDue,
  collectionMethod: invoice.collectionMethod,
});

export function invoicingActivities({ orm, invoiceNumberPrefix, invoiceNumberPadding }: ActivityDeps) {
  const numbering = { prefix: invoiceNumberPrefix, padding: invoiceNumberPadding ?? DEFAULT_INVOICE_NUMBER_FORMAT.padding };

  async function findPeriodInvoice(subscriptionId: string, periodIndex: number): Promise<Invoice | null> {
    return orm.em.fork().findOne(Invoice, { subscriptionId, periodIndex });
  }

  return {
    /**
     * Creates (once) the open invoice for one billing period, finalized at `issuedAt`: numbered in the
     * same transaction and due by the collection method's default terms (net 30 when emailed, on
     * receipt when charged) in the subscription's time zone. Unique on (subscription, period): a
     * retried or replayed call returns the invoice that already exists.
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

          const totals = computeInvoiceTotals({
            currency: subscription.currency,
            lines: [{ unitAmount: subscription.unitAmount, quantity: subscription.quantity }],
          });
          const line = totals.lines[0]!;
          const issuedAt = new Date(input.issuedAt);
          const paymentTerms = defaultPaymentTerms(subscription.collectionMethod);
          const dueDate = computeDueDate(paymentTerms, issuedAt, subscription.timeZone);
          const now = new Date();

          const created = em.create(Invoice, {
            id: newId('invoice'),
            number: await takeInvoiceNumber(em, numbering),
            customerId: subscription.customerId,
            subscriptionId: subscription.id,
            periodIndex: input.period.index,
            periodStart: new Date(input.period.start),
            periodEnd: new Date(input.period.end),
            status: 'open',
            currency: subscription.currency,
            subtotal: totals.subtotal,
            discountTotal: totals.discountTotal,
            feeTotal: totals.feeTotal,
            tax: totals.taxTotal,
            total: totals.total,
            amountPaid: 0,
            amountDue: totals.total,
            collectionMethod: subscription.collectionMethod,
            paymentTerms,
            dueDate,
            finalizedAt: issuedAt,
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
            amount: line.amount,
            discountAmount: line.discountAmount,
            taxAmount: line.taxAmounts.reduce((sum, tax) => sum + tax, 0),
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
