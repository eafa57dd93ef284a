/** The records behind `/v1/refunds` as the API answers with them (the shapes are in ./schemas.ts). */
import { Refund } from '../../db/entities';
import { iso } from '../schemas';

export const refundResource = (r: Refund) => ({
  id: r.id,
  object: 'refund' as const,
  payment: r.paymentId,
  invoice: r.invoiceId,
  customer: r.customerId,
  amount: r.amount,
  currency: r.currency.toLowerCase(),
  reason: r.reason,
  status: r.status,
  gateway: r.gateway,
  gateway_refund_id: r.gatewayRefundId,
  failure_reason: r.failureReason,
  note: r.note,
  created_at: iso(r.createdAt)!,
  completed_at: iso(r.completedAt),
});
