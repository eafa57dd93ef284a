import { EntitySchema } from '@mikro-orm/core';
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
  attempt!: number;
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
}

export const PaymentSchema = new EntitySchema<Payment>({
  class: Payment,
  tableName: 'payments',
  properties: {
    id: { type: 'string', primary: true },
    invoiceId: { type: 'string' },
    customerId: { type: 'string' },
    attempt: { type: 'integer' },
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
  },
});
