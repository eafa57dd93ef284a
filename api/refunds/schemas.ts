/** The request and response shapes of `/v1/refunds`. */
import { Type } from 'typebox';
import { Nullable, Timestamp } from '../schemas';

export const RefundStatus = Type.Enum(['pending', 'succeeded', 'failed'], {
  description: 'pending: not confirmed by the gateway yet (the refund workflow completes it)',
});
export const RefundReason = Type.Enum(['duplicate', 'fraudulent', 'requested_by_customer'], { description: "Stripe's refund reasons" });

export const RefundResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('refund'),
    payment: Type.String(),
    invoice: Type.String(),
    customer: Type.String(),
    amount: Type.Integer(),
    currency: Type.String(),
    reason: Nullable(RefundReason),
    status: RefundStatus,
    gateway: Type.String({ description: 'sandbox, stripe, or offline (returned outside any gateway)' }),
    gateway_refund_id: Nullable(Type.String()),
    failure_reason: Nullable(Type.String()),
    note: Nullable(Type.String()),
    created_at: Timestamp,
    completed_at: Nullable(Timestamp),
  },
  { $id: 'Refund' },
);

export const CreateRefund = Type.Object(
  {
    payment: Type.String({ minLength: 1, maxLength: 64, description: 'The succeeded payment to refund' }),
    amount: Type.Optional(
      Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Minor units; default: all that is left to refund on the payment' }),
    ),
    reason: Type.Optional(RefundReason),
    note: Type.Optional(Type.String({ maxLength: 500, description: 'Internal note; not shown to the customer' })),
  },
  { additionalProperties: false },
);
