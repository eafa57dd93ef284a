import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { ApplicationFailure } from '@temporalio/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ActivityDeps } from './deps';
import { Customer, Invoice, Payment } from '../db/entities';
import { newId } from '../db/ids';
import { recordNotFound } from './errors';
import { GatewayUnavailableError } from './payments/gateway';
import { chargeIdempotencyKey } from '../domain/idempotency-keys';

export interface ChargeInvoiceInput {
  invoiceId: string;
  /** 1 for the first try; dunning retries count up. Part of the gateway idempotency key. */
  attempt: number;
  /** Workflow time of the charge, recorded as the invoice's paid date. */
  chargedAt: string;
}

export type ChargeInvoiceResult =
  | { outcome: 'succeeded'; paymentId: string }
  | { outcome: 'failed'; paymentId: string; failureCode: string; failureMessage: string }
  | { outcome: 'nothing_due'; paymentId: null };

// The key the gateway sees, derived in domain/idempotency-keys (re-exported for existing callers).
export { chargeIdempotencyKey } from '../domain/idempotency-keys';

const resultOf = (payment: Payment): ChargeInvoiceResult =>
  payment.status === 'succeeded'
    ? { outcome: 'succeeded', paymentId: payment.id }
    : {
        outcome: 'failed',
        paymentId: payment.id,
        failureCode: payment.failureCode ?? 'unknown',
        failureMessage: payment.failureMessage ?? '',
      };

/**
 * A payment attempt is a small state machine stored in `payments`: the row is written as `pending`
 * before the gateway is called and completed afterwards. If the worker dies in between, the retried
 * activity finds the pending row and asks the gateway again with the same idempotency key, which
 * answers with the first outcome instead of charging twice.
 */
export function chargingActivities({ orm, gateway, log }: ActivityDeps) {
  async function markInvoicePaid(em: EntityManager, invoice: Invoice, paidAt: Date, attempt?: number): Promise<void> {
    invoice.amountPaid = invoice.total;
    invoice.amountDue = 0;
    invoice.status = 'paid';
    invoice.paidAt = paidAt;
    if (attempt !== undefined) invoice.attemptCount = Math.max(invoice.attemptCount, attempt);
    invoice.nextPaymentAttempt = null;
    invoice.pastDueAt = null;
    invoice.updatedAt = new Date();
    await em.flush();
  }

  /** The attempt's payment row, and the customer when it had to be loaded to create the row. */
  async function startAttempt(invoice: Invoice, attempt: number): Promise<{ payment: Payment; customer?: Customer }> {
    const em = orm.em.fork();
    const existing = await em.findOne(Payment, { invoiceId: invoice.id, attempt });
    if (existing) return { payment: existing };
    const customer = await em.findOne(Customer, { id: invoice.customerId });
    if (!customer) throw recordNotFound('customer', invoice.customerId);
    const now = new Date();
    const payment = em.create(Payment, {
      id: newId('payment'),
      invoiceId: invoice.id,
      customerId: invoice.customerId,
      attempt,
      amount: invoice.amountDue,
      currency: invoice.currency,
      status: 'pending',
      gateway: gateway.name,
      paymentMethod: customer.defaultPaymentMethod ?? 'none',
      gatewayChargeId: null,
      failureCode: null,
      failureMessage: null,
      idempotencyKey: chargeIdempotencyKey(invoice.id, attempt),
      createdAt: now,
      completedAt: null,
    });
    try {
      await em.flush();
      return { payment, customer };
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        return { payment: await orm.em.fork().findOneOrFail(Payment, { invoiceId: invoice.id, attempt }), customer };
      }
      throw err;
    }
  }

  return {
    async chargeInvoice(input: ChargeInvoiceInput): Promise<ChargeInvoiceResult> {
      const invoice = await orm.em.fork().findOne(Invoice, { id: input.invoiceId });
      if (!invoice) throw recordNotFound('invoice', input.invoiceId);
      if (invoice.status === 'void' || invoice.status === 'uncollectible') {
        throw ApplicationFailure.nonRetryable(`invoice ${invoice.id} is ${invoice.status}`, 'InvoiceNotPayable');
      }
      if (invoice.status === 'paid') {
        const paid = await orm.em.fork().findOne(Payment, { invoiceId: invoice.id, status: 'succeeded' });
        return paid ? resultOf(paid) : { outcome: 'nothing_due', paymentId: null };
      }
      if (invoice.amountDue === 0) {
        const em = orm.em.fork();
        await markInvoicePaid(em, await em.findOneOrFail(Invoice, { id: invoice.id }), new Date(input.chargedAt));
        return { outcome: 'nothing_due', paymentId: null };
      }

      const { payment, customer: loaded } = await startAttempt(invoice, input.attempt);
      if (payment.status !== 'pending') return resultOf(payment);

      let outcome;
      if (payment.paymentMethod === 'none') {
        outcome = { status: 'failed', failureCode: 'no_payment_method', failureMessage: 'The customer has no default payment method.' } as const;
      } else {
        // Loaded already when this attempt created the payment row; a retry resuming a pending row loads it here.
        const customer = loaded ?? (await orm.em.fork().findOneOrFail(Customer, { id: invoice.customerId }));
        try {
          outcome = await gateway.charge({
            amount: payment.amount,
            currency: payment.currency,
            paymentMethod: payment.paymentMethod,
            gatewayCustomerId: customer.gatewayCustomerId ?? undefined,
            idempotencyKey: payment.idempotencyKey,
            description: `Invoice ${invoice.number}`,
            metadata: { invoice_id: invoice.id, payment_id: payment.id, customer_id: invoice.customerId },
          });
        } catch (err) {
          if (err instanceof GatewayUnavailableError) {
            log.warn({ paymentId: payment.id, err: err.message }, 'gateway outcome unknown; retrying with the same idempotency key');
          }
          throw err;
        }
      }

      return orm.em.fork().transactional(async (em) => {
        const row = await em.findOneOrFail(Payment, { id: payment.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (row.status !== 'pending') return resultOf(row);
        row.status = outcome.status;
        row.gatewayChargeId = outcome.gatewayChargeId ?? null;
        row.failureCode = outcome.status === 'failed' ? outcome.failureCode : null;
        row.failureMessage = outcome.status === 'failed' ? outcome.failureMessage : null;
        row.completedAt = new Date();
        if (outcome.status === 'succeeded') {
          await markInvoicePaid(em, await em.findOneOrFail(Invoice, { id: invoice.id }), new Date(input.chargedAt), input.attempt);
        }
        await em.flush();
        return resultOf(row);
      });
    },
  };
}
