import { EntitySchema } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';

/** Stripe's refund reasons (the gateway port has the same union). */
export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';

/**
 * A refund of (part of) one payment. Written `pending` by the API in the same transaction that
 * checks the payment has enough left to refund, so concurrent refunds reserve their amount before
 * any gateway call; the refund workflow completes it as `succeeded` or `failed`.
 */
export type RefundStatus = 'pending' | 'succeeded' | 'failed';

export class Refund {
  id!: string;
  paymentId!: string;
  invoiceId!: string;
  customerId!: string;
  amount!: number;
  currency!: string;
  reason!: RefundReason | null;
  status!: RefundStatus;
  /** Copied from the payment: the gateway that took the money gives it back ("offline" for none). */
  gateway!: string;
  gatewayRefundId!: string | null;
  /** What the gateway sees: derived from the refund id, so a retried activity never refunds twice. */
  idempotencyKey!: string;
  failureReason!: string | null;
  /** The operator's own words on why; the customer does not see it. */
  note!: string | null;
  createdAt!: Date;
  completedAt!: Date | null;
}

export const RefundSchema = new EntitySchema<Refund>({
  class: Refund,
  tableName: 'refunds',
  properties: {
    id: { type: 'string', primary: true },
    paymentId: { type: 'string' },
    invoiceId: { type: 'string' },
    customerId: { type: 'string' },
    amount: minorUnits(),
    currency: { type: 'string', length: 3 },
    reason: { type: 'string', nullable: true },
    status: { type: 'string' },
    gateway: { type: 'string' },
    gatewayRefundId: { type: 'string', nullable: true },
    idempotencyKey: { type: 'string', unique: true },
    failureReason: { type: 'text', nullable: true },
    note: { type: 'text', nullable: true },
    createdAt: timestamptz(),
    completedAt: timestamptz(true),
  },
});
