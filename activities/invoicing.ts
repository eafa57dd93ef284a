import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { ActivityDeps } from './deps';
import { Invoice, Subscription, SubscriptionPendingItem } from '../db/entities';
import { newId } from '../db/ids';
import { issueInvoice } from '../services/invoices/invoice-records';
import { priceSubscriptionPeriod, type SubscriptionPeriodInvoice } from '../services/subscriptions/subscription-invoice';
import { recordNotFound } from './errors';
import { DEFAULT_INVOICE_NUMBER_FORMAT } from '../services/invoices/invoice-numbering';

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

/** What a workflow is told about an invoice it made: enough to collect it. */
export const summariseInvoice = (invoice: Invoice): InvoiceSummary => ({
  invoiceId: invoice.id,
  // Subscription invoices are created open, numbered in the same transaction.
  number: invoice.number ?? '',
  status: invoice.status,
  currency: invoice.currency,
  total: invoice.total,
  amountDue: invoice.amountDue,
  collectionMethod: invoice.collectionMethod,
});

/**
 * The proration items priced into `invoice` belong to it now; a credit it could not use up (more than
 * was left to discount) goes forward as a new credit for the next invoice, so no credit is ever lost.
 */
function takeInPendingItems(em: EntityManager, invoice: Invoice, draft: SubscriptionPeriodInvoice): void {
  for (const item of draft.pendingItems) item.invoiceId = invoice.id;
  const leftover = draft.credits.reduce((sum, { item, discountIndex }) => sum + item.amount - draft.priced.discounts[discountIndex]!.amount, 0);
  if (leftover > 0) {
    em.create(SubscriptionPendingItem, {
      id: newId('pendingItem'),
      subscriptionId: invoice.subscriptionId!,
      kind: 'credit_carried',
      description: `Credit carried forward from invoice ${invoice.number}`,
      amount: leftover,
      periodStart: null,
      periodEnd: null,
      sourceId: invoice.id,
      invoiceId: null,
      createdAt: new Date(),
    });
  }
}

export function invoicingActivities({ orm, invoiceNumberPrefix, invoiceNumberPadding }: ActivityDeps) {
  const numbering = { prefix: invoiceNumberPrefix, padding: invoiceNumberPadding ?? DEFAULT_INVOICE_NUMBER_FORMAT.padding };

  async function findPeriodInvoice(subscriptionId: string, periodIndex: number): Promise<Invoice | null> {
    return orm.em.fork().findOne(Invoice, { subscriptionId, periodIndex });
  }

  return {
    /**
     * Creates (once) the open invoice for one billing period, finalized at `issuedAt`: numbered in the
     * same transaction and due by the collection method's default terms (net 30 when emailed, on
     * receipt when charged) in the subscription's time zone. Its line, coupon discount, fees and taxes
     * come from priceSubscriptionPeriod (services/subscriptions/subscription-invoice.ts), which the upcoming-invoice
     * preview shares. Unique on (subscription, period): a retried or replayed call returns the invoice
     * that already exists, priced as it was then, even if the subscription's discount changed since.
     */
    async createSubscriptionInvoice(input: CreateSubscriptionInvoiceInput): Promise<InvoiceSummary> {
      const existing = await findPeriodInvoice(input.subscriptionId, input.period.index);
      if (existing) return summariseInvoice(existing);

      try {
        const invoice = await orm.em.fork().transactional(async (em) => {
          // FOR SHARE: a discount being applied (api/subscriptions/discounts-routes.ts locks the row) either
          // commits before this invoice is priced or starts after this period.
          const subscription = await em.findOne(Subscription, { id: input.subscriptionId }, { lockMode: LockMode.PESSIMISTIC_READ });
          if (!subscription) throw recordNotFound('subscription', input.subscriptionId);
          const draft = await priceSubscriptionPeriod(em, subscription, input.period, new Date(input.issuedAt));
          const created = await issueInvoice(
            em,
            numbering,
            {
              customerId: subscription.customerId,
              subscriptionId: subscription.id,
              periodIndex: draft.period.index,
              periodStart: draft.period.start,
              periodEnd: draft.period.end,
              currency: subscription.currency,
              collectionMethod: subscription.collectionMethod,
              paymentTerms: draft.paymentTerms,
              dueDate: draft.dueDate,
              finalizedAt: draft.issuedAt,
            },
            draft.priced,
          );
          takeInPendingItems(em, created, draft);
          return created;
        });
        return summariseInvoice(invoice);
      } catch (err) {
        // Another attempt of this activity won the race; its invoice is the one.
        if (err instanceof UniqueConstraintViolationException) {
          const winner = await findPeriodInvoice(input.subscriptionId, input.period.index);
          if (winner) return summariseInvoice(winner);
        }
        throw err;
      }
    },
  };
}
