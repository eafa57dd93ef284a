/** The request and response shapes of `/v1/payments`. */
import { Type } from 'typebox';
import { Nullable, Timestamp } from '../schemas';

export const PaymentStatus = Type.Enum(['pending', 'succeeded', 'failed']);

export const PaymentResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('payment'),
    invoice: Type.String(),
    customer: Type.String(),
    attempt: Nullable(Type.Integer({ description: '1 for the first charge of the invoice; retries count up; null for an offline payment' })),
    reference: Nullable(Type.String({ description: 'Offline payments: check number, transfer reference, ...' })),
    amount: Type.Integer(),
    amount_refunded: Type.Integer({ description: 'Sum of succeeded refunds of this payment' }),
    currency: Type.String(),
    status: PaymentStatus,
    gateway: Type.String({ description: 'sandbox or stripe' }),
    payment_method: Type.String(),
    gateway_charge_id: Nullable(Type.String()),
    failure_code: Nullable(Type.String()),
    failure_message: Nullable(Type.String()),
    created_at: Timestamp,
    completed_at: Nullable(Timestamp),
  },
  { $id: 'Payment' },
);
