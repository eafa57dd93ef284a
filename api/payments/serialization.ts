/** The records behind `/v1/payments` as the API answers with them (the shapes are in ./schemas.ts). */
import { Payment } from '../../db/entities';
import { iso } from '../schemas';

export const paymentResource = (p: Payment) => ({
  id: p.id,
  object: 'payment' as const,
  invoice: p.invoiceId,
  customer: p.customerId,
  attempt: p.attempt,
  reference: p.reference,
  amount: p.amount,
  amount_refunded: p.amountRefunded,
  currency: p.currency.toLowerCase(),
  status: p.status,
  gateway: p.gateway,
  payment_method: p.paymentMethod,
  gateway_charge_id: p.gatewayChargeId,
  failure_code: p.failureCode,
  failure_message: p.failureMessage,
  created_at: iso(p.createdAt)!,
  completed_at: iso(p.completedAt),
});
