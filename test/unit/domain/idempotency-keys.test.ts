/**
 * The exact strings the activities derived before the keys moved to one module. Payments and refunds
 * already stored, and keys the gateway still remembers, depend on these bytes: a failing case here
 * means a deploy would charge, refund or record a payment twice.
 */
import {
  chargeIdempotencyKey,
  gatewayCustomerKey,
  gatewayPaymentKey,
  offlinePaymentKey,
  refundIdempotencyKey,
} from '../../../domain/idempotency-keys';

const invoiceId = 'in_0190f3a2c4b87d6e9f01a2b3c4d5e6f7';

it('keys a charge by invoice and dunning attempt', () => {
  expect(chargeIdempotencyKey(invoiceId, 1)).toBe('in_0190f3a2c4b87d6e9f01a2b3c4d5e6f7-attempt-1');
  expect(chargeIdempotencyKey(invoiceId, 3)).toBe('in_0190f3a2c4b87d6e9f01a2b3c4d5e6f7-attempt-3');
});

it('keys a refund by the refund record', () => {
  expect(refundIdempotencyKey('re_0190f3a2d1e07a4b8c9d0e1f2a3b4c5d')).toBe('refund-re_0190f3a2d1e07a4b8c9d0e1f2a3b4c5d');
});

it('keys an offline payment by invoice and request key', () => {
  expect(offlinePaymentKey(invoiceId, '7f3c2a9e-1b4d-4c8a-9e6f-0a1b2c3d4e5f')).toBe(
    'offline-in_0190f3a2c4b87d6e9f01a2b3c4d5e6f7-7f3c2a9e-1b4d-4c8a-9e6f-0a1b2c3d4e5f',
  );
});

it('keys a gateway-reported payment by its gateway id, or by the paid time when it has none', () => {
  expect(gatewayPaymentKey(invoiceId, 'pi_3PqR8sT2uV4wX6yZ', '2026-03-31T09:15:00.000Z')).toBe(
    'gateway-in_0190f3a2c4b87d6e9f01a2b3c4d5e6f7-pi_3PqR8sT2uV4wX6yZ',
  );
  expect(gatewayPaymentKey(invoiceId, null, '2026-03-31T09:15:00.000Z')).toBe(
    'gateway-in_0190f3a2c4b87d6e9f01a2b3c4d5e6f7-2026-03-31T09:15:00.000Z',
  );
});

it('keys the gateway customer by our customer', () => {
  expect(gatewayCustomerKey('cus_0190f3a2c4b87d6e9f01a2b3c4d5e6f7')).toBe('customer-cus_0190f3a2c4b87d6e9f01a2b3c4d5e6f7');
});

it('rebuilds the same key from the same data, as a retry or replay does', () => {
  expect(chargeIdempotencyKey(invoiceId, 2)).toBe(chargeIdempotencyKey(invoiceId, 2));
  expect(chargeIdempotencyKey(invoiceId, 2)).not.toBe(chargeIdempotencyKey(invoiceId, 3));
});
