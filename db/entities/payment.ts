import { EntitySchema, type Opt } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';

/**
 * One row per charge attempt. `pending` is written before the gateway is called, so a crash between
 * the call and the outcome leaves a visible row that the retried activity completes with the same
 * idempotency key instead of charging again.
 */
export type PaymentStatus = 'pending' | 'succeeded' | 'failed';

export class Payment {
  id!: string;
  invoiceId!: string;
  customerId!: string;
  /** Charge attempt number (part of the idempotency key); null for an offline payment. */
  attempt!: number | null;
  amount!: number;
  currency!: string;
  status!: PaymentStatus;
  gateway!: string;
  paymentMethod!: string;
  gatewayChargeId!: string | null;
  failureCode!: string | null;
  failureMessage!: string | null;
  idempotencyKey!: string;
  createdAt!: Date;
  completedAt!: Date | null;
  /** Sum of this payment's succeeded refunds. */
  amountRefunded!: Opt<number>;
  /** Offline payments: the check number, transfer reference, ... */
  reference!: string | null;
}

export const PaymentSchema = new EntitySchema<Payment>({
  class: Payment,
  tableName: 'payments',
  properties: {
    id: { type: 'string', primary: true },
    invoiceId: { type: 'string' },
    customerId: { type: 'string' },
    attempt: { type: 'integer', nullable: true },
    amount: minorUnits(),
    currency: { type: 'string', length: 3 },
    status: { type: 'string' },
    gateway: { type: 'string' },
    paymentMethod: { type: 'string' },
    gatewayChargeId: { type: 'string', nullable: true },
    failureCode: { type: 'string', nullable: true },
    failureMessage: { type: 'text', nullable: true },
    idempotencyKey: { type: 'string', unique: true },
    createdAt: timestamptz(),
    completedAt: timestamptz(true),
    amountRefunded: { ...minorUnits(), default: 0 },
    reference: { type: 'text', nullable: true },
  },
});
