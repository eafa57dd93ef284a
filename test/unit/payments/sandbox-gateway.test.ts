import { ChargeOutcome, ChargeRequest } from '../../../activities/payments/gateway';
import {
  IdempotencyKeyReuseError,
  SANDBOX_TEST_PAYMENT_METHODS,
  SandboxCharge,
  SandboxGateway,
  SandboxLedger,
} from '../../../activities/payments/sandbox-gateway';

/** Test double for the PostgreSQL ledger: same first-write-wins contract, counts real writes. */
class InMemorySandboxLedger implements SandboxLedger {
  readonly charges = new Map<string, SandboxCharge>();
  writes = 0;

  async recordOnce(idempotencyKey: string, request: ChargeRequest, outcome: ChargeOutcome): Promise<SandboxCharge> {
    const stored = this.charges.get(idempotencyKey);
    if (stored) return structuredClone(stored);
    this.writes += 1;
    // Cloned like a database round trip, so the gateway cannot lean on object identity.
    this.charges.set(idempotencyKey, structuredClone({ request, outcome }));
    return structuredClone({ request, outcome });
  }
}

function chargeRequest(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    amount: 4900,
    currency: 'USD',
    paymentMethod: 'pm_card_visa',
    gatewayCustomerId: 'cus_sandbox_1',
    idempotencyKey: 'inv_123:attempt-1',
    description: 'Invoice INV-0001',
    metadata: { invoiceId: 'inv_123' },
    ...overrides,
  };
}

describe('SandboxGateway', () => {
  let ledger: InMemorySandboxLedger;
  let gateway: SandboxGateway;

  beforeEach(() => {
    ledger = new InMemorySandboxLedger();
    gateway = new SandboxGateway(ledger);
  });

  it('is named sandbox', () => {
    expect(gateway.name).toBe('sandbox');
  });

  const declined = {
    generic_decline: 'Your card was declined.',
    insufficient_funds: 'Your card has insufficient funds.',
    expired_card: 'Your card has expired.',
    processing_error: 'An error occurred while processing your card. Try again in a little bit.',
  } as const;

  it.each([
    ['pm_card_visa', 'succeeded'],
    ['pm_card_mastercard', 'succeeded'],
    ['pm_card_amex', 'succeeded'],
    ['4242424242424242', 'succeeded'],
    ['4242 4242 4242 4242', 'succeeded'],
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['4000000000000002', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
    ['4000000000009995', 'insufficient_funds'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
    ['4000000000000069', 'expired_card'],
    ['pm_card_chargeDeclinedProcessingError', 'processing_error'],
    ['4000000000000119', 'processing_error'],
    ['pm_card_chargeDeclinedFraudulent', 'generic_decline'],
  ] as const)('charges %s like Stripe test mode: %s', async (paymentMethod, expected) => {
    const outcome = await gateway.charge(chargeRequest({ paymentMethod }));

    const gatewayChargeId = expect.stringMatching(/^ch_sandbox_[0-9a-f]{24}$/);
    if (expected === 'succeeded') {
      expect(outcome).toEqual({ status: 'succeeded', gatewayChargeId });
    } else {
      expect(outcome).toEqual({ status: 'failed', gatewayChargeId, failureCode: expected, failureMessage: declined[expected] });
    }
  });

  it('covers every listed test payment method', async () => {
    for (const [index, method] of SANDBOX_TEST_PAYMENT_METHODS.entries()) {
      const outcome = await gateway.charge(chargeRequest({ paymentMethod: method.paymentMethod, idempotencyKey: `k${index}` }));
      expect(outcome.status === 'succeeded' ? 'succeeded' : outcome.failureCode).toBe(method.outcome);
    }
  });

  it('fails an unknown payment method with invalid_payment_method and no charge object', async () => {
    const outcome = await gateway.charge(chargeRequest({ paymentMethod: 'pm_1NotARealOne' }));

    expect(outcome).toEqual({
      status: 'failed',
      failureCode: 'invalid_payment_method',
      failureMessage: expect.stringContaining("No such payment method: 'pm_1NotARealOne'"),
    });
  });

  it('derives the charge id from the idempotency key, the same in every process', async () => {
    const first = await gateway.charge(chargeRequest({ idempotencyKey: 'inv_1:attempt-1' }));
    const elsewhere = await new SandboxGateway(new InMemorySandboxLedger()).charge(chargeRequest({ idempotencyKey: 'inv_1:attempt-1' }));
    const nextAttempt = await gateway.charge(chargeRequest({ idempotencyKey: 'inv_1:attempt-2' }));

    expect(elsewhere).toEqual(first);
    expect(nextAttempt.gatewayChargeId).not.toBe(first.gatewayChargeId);
  });

  it('replays the first outcome for a repeated key without a second ledger write', async () => {
    const first = await gateway.charge(chargeRequest({ paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' }));
    // A retry after a crash, with a reworded description: still the same charge.
    const replay = await gateway.charge(
      chargeRequest({ paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds', description: 'Invoice INV-0001 (retry)' }),
    );

    expect(replay).toEqual(first);
    expect(ledger.writes).toBe(1);
  });

  it('returns the stored outcome even when another process recorded it first', async () => {
    const recordedElsewhere: ChargeOutcome = { status: 'succeeded', gatewayChargeId: 'ch_sandbox_from_worker_b' };
    await ledger.recordOnce('inv_123:attempt-1', chargeRequest(), recordedElsewhere);

    await expect(gateway.charge(chargeRequest())).resolves.toEqual(recordedElsewhere);
    expect(ledger.writes).toBe(1);
  });

  it.each([
    ['amount', { amount: 5000 }],
    ['currency', { currency: 'EUR' }],
    ['payment method', { paymentMethod: 'pm_card_mastercard' }],
    ['customer', { gatewayCustomerId: 'cus_other' }],
  ])('rejects the same key with a different %s', async (_field, change) => {
    await gateway.charge(chargeRequest());

    const reuse = gateway.charge(chargeRequest(change));

    await expect(reuse).rejects.toThrow(IdempotencyKeyReuseError);
    await expect(reuse).rejects.toMatchObject({ name: 'IdempotencyKeyReuseError' });
    expect(ledger.writes).toBe(1);
  });

  it('treats currency case as the same charge', async () => {
    const first = await gateway.charge(chargeRequest({ currency: 'USD' }));
    await expect(gateway.charge(chargeRequest({ currency: 'usd' }))).resolves.toEqual(first);
  });

  it.each([0, -100, 10.5])('rejects amount %p before recording anything', async (amount) => {
    await expect(gateway.charge(chargeRequest({ amount }))).rejects.toThrow(/Invalid amount/);
    expect(ledger.writes).toBe(0);
  });

  it('rejects a currency that is not an ISO code', async () => {
    await expect(gateway.charge(chargeRequest({ currency: 'dollars' }))).rejects.toThrow(/Invalid currency/);
    expect(ledger.writes).toBe(0);
  });
});
