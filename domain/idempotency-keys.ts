/**
 * Every idempotency key a payment carries, one function per kind of gateway call or payment record.
 * A key is built only from data the caller already has when it first tries (workflow input, the
 * request's own key, the gateway's event), never from time or randomness, so an activity retry or a
 * replayed workflow rebuilds the same key and the gateway (or the unique `payments.idempotency_key`
 * column) answers with the first outcome instead of acting twice.
 *
 * The strings are stored in `payments` and `refunds` and Stripe remembers them for a day: changing a
 * format would charge or record twice across a deploy. Pinned in test/unit/domain/idempotency-keys.test.ts.
 */

/**
 * A charge attempt on an invoice. Unique per (invoice, attempt): dunning retries count the attempt
 * up, so each retry is a new charge, while an activity retry of the same attempt (the worker died
 * after the gateway call) resends the same key and gets the first answer back.
 */
export const chargeIdempotencyKey = (invoiceId: string, attempt: number): string => `${invoiceId}-attempt-${attempt}`;

/**
 * A refund sent to the gateway. Unique per refund record: the API creates the refund row once (with
 * this key) and the refund workflow asks the gateway with it on every try, so one refund moves money
 * once however often the activity or workflow is retried.
 */
export const refundIdempotencyKey = (refundId: string): string => `refund-${refundId}`;

/**
 * Money received outside the gateway (check, transfer, cash), recorded by an operator. Unique per
 * (invoice, request key): the request key is the API caller's Idempotency-Key (or one drawn once per
 * request and carried through the workflow), so a repeated request or a replayed update records one
 * payment.
 */
export const offlinePaymentKey = (invoiceId: string, requestKey: string): string => `offline-${invoiceId}-${requestKey}`;

/**
 * A payment the gateway reports (webhook) that none of our attempts made, e.g. a hosted page. Unique
 * per (invoice, gateway payment id), or per (invoice, paid time) when the gateway names no payment:
 * a redelivered webhook carries the same id and time, so it finds the payment it recorded.
 */
export const gatewayPaymentKey = (invoiceId: string, gatewayChargeId: string | null, paidAt: string): string =>
  `gateway-${invoiceId}-${gatewayChargeId ?? paidAt}`;

/**
 * The gateway customer made for one of ours, the first time a card is saved through the gateway's
 * card form. Unique per customer: two card forms opened at once create one gateway customer.
 */
export const gatewayCustomerKey = (customerId: string): string => `customer-${customerId}`;
