import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { Invoice, Payment } from '../db/entities';
import type { InvoiceStatus } from '../db/entities';
import { newId } from '../db/ids';
import { assertInvoiceTransition } from '../domain/invoice-status';
import { DEFAULT_DUNNING_POLICY, type DunningPolicy } from '../domain/dunning';
import { gatewayPaymentKey, offlinePaymentKey } from '../domain/idempotency-keys';
import { recordNotFound } from './errors';
import type { InvoiceCollectionInput, OfflinePaymentMethod } from '../workflows/invoice-collection/contract';
import { startInvoiceCollection } from '../services/invoices/start-invoice-collection';

/** What the collection workflow needs to know about its invoice. */
export interface CollectionInvoice {
  invoiceId: string;
  status: InvoiceStatus;
  currency: string;
  total: number;
  amountPaid: number;
  amountDue: number;
  /** Null only for a draft, which is never collected. */
  dueDate: string | null;
}

const collectionView = (invoice: Invoice): CollectionInvoice => ({
  invoiceId: invoice.id,
  status: invoice.status,
  currency: invoice.currency,
  total: invoice.total,
  amountPaid: invoice.amountPaid,
  amountDue: invoice.amountDue,
  dueDate: invoice.dueDate?.toISOString() ?? null,
});

export interface RecordOfflinePaymentInput {
  invoiceId: string;
  amount: number;
  method: OfflinePaymentMethod;
  paidAt: string;
  reference: string | null;
  /** Makes the record idempotent: the same request key records one payment. */
  requestKey: string;
}

export interface RecordGatewayPaymentInput {
  invoiceId: string;
  /** The gateway's object id (PaymentIntent) the event is about. */
  gatewayChargeId: string | null;
  /** What the gateway says was paid; the amount due when it does not say. */
  amount: number | null;
  paidAt: string;
}

/** Thrown for a change the invoice's status does not allow; not retryable. */
const notAllowed = (message: string) => ApplicationFailure.nonRetryable(message, 'InvoiceTransitionError');

/**
 * The invoice-side records of collection: progress of the dunning schedule, offline payments,
 * void and uncollectible. Each runs in one transaction with the invoice row locked, so an API call
 * and the workflow (or two activity retries) never interleave on the same invoice.
 */
export function collectionActivities({ orm, gateway, dunningPolicy = DEFAULT_DUNNING_POLICY }: ActivityDeps) {
  async function withLockedInvoice<T>(invoiceId: string, work: (em: EntityManager, invoice: Invoice) => Promise<T>): Promise<T> {
    return orm.em.fork().transactional(async (em) => {
      const invoice = await em.findOne(Invoice, { id: invoiceId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!invoice) throw recordNotFound('invoice', invoiceId);
      return work(em, invoice);
    });
  }

  function moveTo(invoice: Invoice, to: InvoiceStatus): void {
    try {
      assertInvoiceTransition(invoice.status, to);
    } catch (err) {
      throw notAllowed((err as Error).message);
    }
    invoice.status = to;
    invoice.updatedAt = new Date();
  }

  return {
    /** Starts the invoice's collection workflow on this worker's task queue (once per invoice). */
    async startInvoiceCollection(input: InvoiceCollectionInput): Promise<void> {
      const context = Context.current();
      await startInvoiceCollection(context.client, context.info.taskQueue, input);
    },

    /** The invoice, and the dunning policy this worker is configured with (DUNNING_* variables). */
    async getInvoiceForCollection({ invoiceId }: { invoiceId: string }): Promise<{ invoice: CollectionInvoice; dunningPolicy: DunningPolicy }> {
      const invoice = await orm.em.fork().findOne(Invoice, { id: invoiceId });
      if (!invoice) throw recordNotFound('invoice', invoiceId);
      return { invoice: collectionView(invoice), dunningPolicy };
    },

    /** Mirrors the workflow's dunning state onto the invoice, for lists of failed and overdue payments. */
    async recordCollectionProgress(input: {
      invoiceId: string;
      attemptCount: number;
      nextPaymentAttempt: string | null;
      pastDueAt: string | null;
    }): Promise<void> {
      await withLockedInvoice(input.invoiceId, async (em, invoice) => {
        invoice.attemptCount = input.attemptCount;
        // A settled invoice has nothing scheduled, whatever an out-of-date call says.
        invoice.nextPaymentAttempt = invoice.status === 'open' && input.nextPaymentAttempt ? new Date(input.nextPaymentAttempt) : null;
        invoice.pastDueAt = invoice.status === 'open' && input.pastDueAt ? new Date(input.pastDueAt) : null;
        invoice.updatedAt = new Date();
        await em.flush();
      });
    },

    async markInvoiceUncollectible({ invoiceId }: { invoiceId: string }): Promise<CollectionInvoice> {
      return withLockedInvoice(invoiceId, async (em, invoice) => {
        if (invoice.status === 'uncollectible') return collectionView(invoice);
        moveTo(invoice, 'uncollectible');
        invoice.markedUncollectibleAt = new Date();
        invoice.nextPaymentAttempt = null;
        await em.flush();
        return collectionView(invoice);
      });
    },

    /** Voiding cancels what is owed; an invoice with money already received on it cannot be voided (refund first). */
    async voidInvoice({ invoiceId }: { invoiceId: string }): Promise<CollectionInvoice> {
      return withLockedInvoice(invoiceId, async (em, invoice) => {
        if (invoice.status === 'void') return collectionView(invoice);
        if (invoice.amountPaid > 0) {
          throw notAllowed(`invoice ${invoice.id} has ${invoice.amountPaid} paid on it and cannot be voided`);
        }
        moveTo(invoice, 'void');
        invoice.voidedAt = new Date();
        invoice.amountDue = 0;
        invoice.nextPaymentAttempt = null;
        invoice.pastDueAt = null;
        await em.flush();
        return collectionView(invoice);
      });
    },

    /**
     * Records money received outside the gateway (check, bank transfer, cash). A partial payment
     * leaves the rest open; the last one marks the invoice paid. Repeating a request key returns the
     * payment it recorded instead of recording another.
     */
    async recordOfflinePayment(input: RecordOfflinePaymentInput): Promise<{ paymentId: string; invoice: CollectionInvoice }> {
      const idempotencyKey = offlinePaymentKey(input.invoiceId, input.requestKey);
      const recorded = async () => {
        const em = orm.em.fork();
        const payment = await em.findOne(Payment, { idempotencyKey });
        if (!payment) return null;
        return { paymentId: payment.id, invoice: collectionView(await em.findOneOrFail(Invoice, { id: input.invoiceId })) };
      };
      const earlier = await recorded();
      if (earlier) return earlier;
      try {
        return await withLockedInvoice(input.invoiceId, async (em, invoice) => {
          if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
            throw notAllowed(`invoice ${invoice.id} is ${invoice.status}; only an open or uncollectible invoice can be paid`);
          }
          if (!Number.isSafeInteger(input.amount) || input.amount <= 0 || input.amount > invoice.amountDue) {
            throw notAllowed(`amount ${input.amount} must be between 1 and the ${invoice.amountDue} due`);
          }
          const paidAt = new Date(input.paidAt);
          const payment = em.create(Payment, {
            id: newId('payment'),
            invoiceId: invoice.id,
            customerId: invoice.customerId,
            attempt: null,
            amount: input.amount,
            currency: invoice.currency,
            status: 'succeeded',
            gateway: 'offline',
            paymentMethod: input.method,
            gatewayChargeId: null,
            failureCode: null,
            failureMessage: null,
            idempotencyKey,
            reference: input.reference,
            createdAt: new Date(),
            completedAt: paidAt,
          });
          invoice.amountPaid += input.amount;
          invoice.amountDue -= input.amount;
          if (invoice.amountDue === 0) {
            moveTo(invoice, 'paid');
            invoice.paidAt = paidAt;
            invoice.nextPaymentAttempt = null;
            invoice.pastDueAt = null;
          }
          invoice.updatedAt = new Date();
          await em.flush();
          return { paymentId: payment.id, invoice: collectionView(invoice) };
        });
      } catch (err) {
        // The same request recorded concurrently: answer with that record.
        if (err instanceof UniqueConstraintViolationException) {
          const winner = await recorded();
          if (winner) return winner;
        }
        throw err;
      }
    },

    /**
     * The gateway says a payment for this invoice succeeded (webhook). Completes our pending attempt
     * with that gateway id when there is one, and marks the invoice paid. Never moves a paid invoice.
     */
    async recordGatewayPayment(input: RecordGatewayPaymentInput): Promise<{ invoice: CollectionInvoice; paymentId: string | null }> {
      return withLockedInvoice(input.invoiceId, async (em, invoice) => {
        if (invoice.status === 'paid' || invoice.status === 'void') return { invoice: collectionView(invoice), paymentId: null };
        let payment = input.gatewayChargeId
          ? await em.findOne(Payment, { invoiceId: invoice.id, gatewayChargeId: input.gatewayChargeId })
          : null;
        if (payment && payment.status !== 'succeeded') {
          payment.status = 'succeeded';
          payment.failureCode = null;
          payment.failureMessage = null;
          payment.completedAt = new Date(input.paidAt);
        } else if (!payment) {
          // Paid at the gateway without one of our attempts (a hosted page, the dashboard): record it,
          // so every paid invoice has the payment that paid it.
          payment = em.create(Payment, {
            id: newId('payment'),
            invoiceId: invoice.id,
            customerId: invoice.customerId,
            attempt: null,
            amount: input.amount ?? invoice.amountDue,
            currency: invoice.currency,
            status: 'succeeded',
            gateway: gateway.name,
            paymentMethod: 'unknown',
            gatewayChargeId: input.gatewayChargeId,
            failureCode: null,
            failureMessage: null,
            idempotencyKey: gatewayPaymentKey(invoice.id, input.gatewayChargeId, input.paidAt),
            reference: null,
            createdAt: new Date(),
            completedAt: new Date(input.paidAt),
          });
        }
        moveTo(invoice, 'paid');
        invoice.amountPaid = invoice.total;
        invoice.amountDue = 0;
        invoice.paidAt = new Date(input.paidAt);
        invoice.nextPaymentAttempt = null;
        invoice.pastDueAt = null;
        await em.flush();
        return { invoice: collectionView(invoice), paymentId: payment.id };
      });
    },
  };
}
