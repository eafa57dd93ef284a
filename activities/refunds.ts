import { LockMode } from '@mikro-orm/core';
import { ApplicationFailure } from '@temporalio/common';
import { DateTime } from 'luxon';
import type { ActivityDeps } from './deps';
import { Customer, Invoice, Payment, Refund, type RefundStatus } from '../db/entities';
import { formatMoney } from '../domain/money';
import { recordNotFound } from './errors';
import { brandEmailView, loadBrand } from '../services/documents/brand';
import { queueAndDeliver } from './email/outbox';
import { renderEmail } from './email/templates';
import { GatewayUnavailableError } from './payments/gateway';

/**
 * Payments taken outside any gateway (check, bank transfer, cash, other) are recorded with this
 * gateway name. No gateway can send that money back: the operator returns it the way it came, and
 * the refund record documents that it was returned.
 */
export const OFFLINE_GATEWAY = 'offline';

// The key the gateway sees for a refund, derived in domain/idempotency-keys (re-exported for existing callers).
export { refundIdempotencyKey } from '../domain/idempotency-keys';

/** What the gateway said about a refund (or what an offline refund is by definition). */
export interface RefundGatewayResult {
  status: RefundStatus;
  gatewayRefundId: string | null;
  failureReason: string | null;
}

export interface RefundRecordState extends RefundGatewayResult {
  refundId: string;
}

const reasonText: Record<string, string> = {
  duplicate: 'Duplicate payment',
  fraudulent: 'Fraudulent payment',
  requested_by_customer: 'Requested by you',
};

const resultOf = (refund: Refund): RefundGatewayResult => ({
  status: refund.status,
  gatewayRefundId: refund.gatewayRefundId,
  failureReason: refund.failureReason,
});

const stateOf = (refund: Refund): RefundRecordState => ({ refundId: refund.id, ...resultOf(refund) });

/**
 * A refund is a small state machine in `refunds`: the API writes it `pending` (reserving the amount),
 * the refund workflow asks the gateway with the refund's idempotency key and completes the row. Every
 * step is safe to repeat: a completed refund is never sent to the gateway again, and a repeated key
 * gets the gateway's first answer.
 */
export function refundActivities({ orm, gateway, log, mailer, emailFrom }: ActivityDeps) {
  async function load(refundId: string): Promise<Refund> {
    const refund = await orm.em.fork().findOne(Refund, { id: refundId });
    if (!refund) throw recordNotFound('refund', refundId);
    return refund;
  }

  const unknownOutcome = (refundId: string, err: unknown): unknown => {
    if (err instanceof GatewayUnavailableError) {
      log.warn({ refundId, err: err.message }, 'gateway refund outcome unknown; retrying with the same idempotency key');
    }
    return err;
  };

  return {
    /**
     * Asks the gateway to refund, or answers from the record when the refund is already complete.
     * The API starts the workflow inside the transaction that inserts the refund, holding the
     * payment row: waiting for that lock first means the insert is committed or rolled back.
     */
    async refundAtGateway({ refundId, paymentId }: { refundId: string; paymentId: string }): Promise<RefundGatewayResult> {
      await orm.em.fork().transactional((em) => em.execute(`select id from payments where id = ? for share`, [paymentId]));
      const refund = await load(refundId);
      if (refund.status !== 'pending') return resultOf(refund);
      if (refund.gateway === OFFLINE_GATEWAY) return { status: 'succeeded', gatewayRefundId: null, failureReason: null };
      if (refund.gateway !== gateway.name) {
        // A Stripe payment cannot be refunded through the sandbox or the other way round.
        throw ApplicationFailure.nonRetryable(
          `payment ${refund.paymentId} was taken through the ${refund.gateway} gateway, but this worker uses ${gateway.name}`,
          'RefundNotExecutable',
        );
      }
      const payment = await orm.em.fork().findOne(Payment, { id: refund.paymentId });
      if (!payment) throw recordNotFound('payment', refund.paymentId);
      if (!payment.gatewayChargeId) {
        throw ApplicationFailure.nonRetryable(`payment ${payment.id} has no gateway charge to refund`, 'RefundNotExecutable');
      }
      try {
        const outcome = await gateway.refund({
          gatewayChargeId: payment.gatewayChargeId,
          amount: refund.amount,
          currency: refund.currency,
          idempotencyKey: refund.idempotencyKey,
          reason: refund.reason,
          metadata: { refund_id: refund.id, payment_id: payment.id, invoice_id: refund.invoiceId, customer_id: refund.customerId },
        });
        return { status: outcome.status, gatewayRefundId: outcome.gatewayRefundId, failureReason: outcome.status === 'failed' ? outcome.failureReason : null };
      } catch (err) {
        throw unknownOutcome(refund.id, err);
      }
    },

    /** Asks the gateway where a refund it accepted as pending stands now. */
    async checkRefundAtGateway({ refundId }: { refundId: string }): Promise<RefundGatewayResult> {
      const refund = await load(refundId);
      if (refund.status !== 'pending') return resultOf(refund);
      if (!refund.gatewayRefundId) throw ApplicationFailure.nonRetryable(`refund ${refund.id} has no gateway refund to check`, 'RefundNotExecutable');
      try {
        const outcome = await gateway.retrieveRefund(refund.gatewayRefundId);
        return { status: outcome.status, gatewayRefundId: outcome.gatewayRefundId, failureReason: outcome.status === 'failed' ? outcome.failureReason : null };
      } catch (err) {
        throw unknownOutcome(refund.id, err);
      }
    },

    /**
     * Records the gateway's answer. A success adds the amount to the payment's and the invoice's
     * amount refunded in the same transaction; a failure releases the reserved amount. Pending only
     * remembers the gateway's refund id. A refund that is already complete is left as it is.
     */
    async completeRefund({ refundId, result, completedAt }: { refundId: string; result: RefundGatewayResult; completedAt: string }): Promise<RefundRecordState> {
      const { paymentId } = await load(refundId);
      return orm.em.fork().transactional(async (em) => {
        // Payment first, in the same order as the API's refund creation, so the two never deadlock.
        const payment = await em.findOneOrFail(Payment, { id: paymentId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        const refund = await em.findOneOrFail(Refund, { id: refundId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (refund.status !== 'pending') return stateOf(refund);
        refund.gatewayRefundId = result.gatewayRefundId ?? refund.gatewayRefundId;
        if (result.status === 'pending') {
          await em.flush();
          return stateOf(refund);
        }
        refund.status = result.status;
        refund.completedAt = new Date(completedAt);
        if (result.status === 'failed') {
          refund.failureReason = result.failureReason ?? 'unknown';
        } else {
          const invoice = await em.findOneOrFail(Invoice, { id: refund.invoiceId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
          payment.amountRefunded += refund.amount;
          invoice.amountRefunded += refund.amount;
          invoice.updatedAt = new Date();
        }
        await em.flush();
        return stateOf(refund);
      });
    },

    /** The customer's receipt for a succeeded refund, through the outbox, once per refund. */
    async sendRefundReceipt({ refundId }: { refundId: string }): Promise<string> {
      const em = orm.em.fork();
      const refund = await load(refundId);
      if (refund.status !== 'succeeded') {
        throw ApplicationFailure.nonRetryable(`refund ${refund.id} is ${refund.status}; only a succeeded refund gets a receipt`, 'RefundNotExecutable');
      }
      const payment = await em.findOne(Payment, { id: refund.paymentId });
      if (!payment) throw recordNotFound('payment', refund.paymentId);
      const invoice = await em.findOne(Invoice, { id: refund.invoiceId });
      if (!invoice) throw recordNotFound('invoice', refund.invoiceId);
      const customer = await em.findOne(Customer, { id: refund.customerId });
      if (!customer) throw recordNotFound('customer', refund.customerId);

      const rendered = renderEmail('refund_receipt', {
        customerName: customer.name,
        invoiceNumber: invoice.number,
        amount: formatMoney({ amount: refund.amount, currency: refund.currency }),
        paymentAmount: formatMoney({ amount: payment.amount, currency: payment.currency }),
        refundId: refund.id,
        paymentId: payment.id,
        paymentMethod: payment.paymentMethod,
        reason: refund.reason === null ? null : reasonText[refund.reason],
        refundedOn: DateTime.fromJSDate(refund.completedAt ?? refund.createdAt, { zone: customer.timeZone }).toFormat('d LLL yyyy'),
        offline: refund.gateway === OFFLINE_GATEWAY,
        brand: brandEmailView(await loadBrand(em)),
      });
      const email = await queueAndDeliver(orm, mailer, emailFrom, {
        ...rendered,
        key: `refund_receipt:${refund.id}`,
        kind: 'refund_receipt',
        to: customer.email,
        customerId: customer.id,
        relatedId: refund.id,
      });
      return email.id;
    },
  };
}
