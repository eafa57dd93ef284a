import { ChargeOutcome, ChargeRequest, RefundOutcome, RefundRequest } from '../../../activities/payments/gateway';
import {
  IdempotencyKeyReuseError,
  SANDBOX_TEST_PAYMENT_METHODS,
  SandboxCharge,
  SandboxGateway,
  SandboxLedger,
  SandboxRefund,
} from '../../../activities/payments/sandbox-gateway';

/** Test double for the PostgreSQL ledger: same first-write-wins contract, counts real writes. */
class InMemorySandboxLedger implements SandboxLedger {
  readonly charges = new Map<string, SandboxCharge>();
  readonly refunds = new Map<string, SandboxRefund>();
  writes = 0;
  refundWrites = 0;

  async recordOnce(idempotencyKey: string, request: ChargeRequest, outcome: ChargeOutcome): Promise<SandboxCharge> {
    const stored = this.charges.get(idempotencyKey);
    if (stored) return structuredClone(stored);
    this.writes += 1;
    // Cloned like a database round trip, so the gateway cannot lean on object identity.
    this.charges.set(idempotencyKey, structuredClone({ request, outcome }));
    return structuredClone({ request, outcome });
  }

  // No await between reading and writing: atomic like the row lock the PostgreSQL ledger takes.
  async recordRefundOnce(
    request: RefundRequest,
    decide: (charge: SandboxCharge | null, alreadyRefunded: number) => RefundOutcome,
  ): Promise<SandboxRefund> {
    const stored = this.refunds.get(request.idempotencyKey);
    if (stored) return structuredClone(stored);
    const charge = [...this.charges.values()].find((c) => c.outcome.gatewayChargeId === request.gatewayChargeId) ?? null;
    const alreadyRefunded = [...this.refunds.values()]
      .filter((r) => r.request.gatewayChargeId === request.gatewayChargeId && r.outcome.status !== 'failed')
      .reduce((sum, r) => sum + r.request.amount, 0);
    const outcome = decide(charge && structuredClone(charge), alreadyRefunded);
    this.refundWrites += 1;
    this.refunds.set(request.idempotencyKey, structuredClone({ request, outcome }));
    return structuredClone({ request, outcome });
  }

  async findRefund(gatewayRefundId: string): Promise<SandboxRefund | null> {
    const found = [...this.refunds.values()].find((r) => r.outcome.gatewayRefundId === gatewayRefundId);
    return found ? structuredClone(found) : null;
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
    authentication_required: 'Your card was declined. This transaction requires authentication.',
  } as const;

  it.each([
    ['pm_card_visa', 'succeeded'],
    ['pm_card_mastercard', 'succeeded'],
    ['pm_card_amex', 'succeeded'],
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
    ['pm_card_chargeDeclinedProcessingError', 'processing_error'],
    ['pm_card_chargeDeclinedFraudulent', 'generic_decline'],
    ['pm_card_authenticationRequiredOnSetup', 'succeeded'],
    ['pm_card_authenticationRequired', 'authentication_required'],
  ] as const)('charges %s like Stripe test mode: %s', async (paymentMethod, expected) => {
    const outcome = await gateway.charge(chargeRequest({ paymentMethod }));

    const gatewayChargeId = expect.stringMatching(/^ch_sandbox_[0-9a-f]{24}$/);
    if (expected === 'succeeded') {
      expect(outcome).toEqual({ status: 'succeeded', gatewayChargeId });
    } else {
      expect(outcome).toEqual({ status: 'failed', gatewayChargeId, failureCode: expected, failureMessage: declined[expected] });
    }
  });

  it.each(['4242424242424242', '4242 4242 4242 4242', '4000000000000002'])('declines a raw card number (%s) as an unknown payment method', async (paymentMethod) => {
    const outcome = await gateway.charge(chargeRequest({ paymentMethod }));
    expect(outcome).toMatchObject({ status: 'failed', failureCode: 'invalid_payment_method' });
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

describe('SandboxGateway refunds', () => {
  let ledger: InMemorySandboxLedger;
  let gateway: SandboxGateway;
  let chargeId: string;

  beforeEach(async () => {
    ledger = new InMemorySandboxLedger();
    gateway = new SandboxGateway(ledger);
    const charged = await gateway.charge(chargeRequest({ amount: 4900 }));
    if (charged.status !== 'succeeded') throw new Error('setup: the test card must charge');
    chargeId = charged.gatewayChargeId;
  });

  const refundRequest = (overrides: Partial<RefundRequest> = {}): RefundRequest => ({
    gatewayChargeId: chargeId,
    amount: 4900,
    currency: 'USD',
    idempotencyKey: 'refund-re_1',
    reason: 'requested_by_customer',
    metadata: { refund_id: 're_1' },
    ...overrides,
  });

  it('refunds a succeeded charge in full with an id derived from the key', async () => {
    const outcome = await gateway.refund(refundRequest());
    const elsewhere = new SandboxGateway(new InMemorySandboxLedger());
    await elsewhere.charge(chargeRequest({ amount: 4900 }));

    expect(outcome).toEqual({ status: 'succeeded', gatewayRefundId: expect.stringMatching(/^re_sandbox_[0-9a-f]{24}$/) });
    await expect(elsewhere.refund(refundRequest())).resolves.toEqual(outcome);
  });

  it('refunds in parts up to the charged amount and refuses more, like Stripe', async () => {
    await expect(gateway.refund(refundRequest({ amount: 3000, idempotencyKey: 'refund-a' }))).resolves.toMatchObject({ status: 'succeeded' });
    await expect(gateway.refund(refundRequest({ amount: 1900, idempotencyKey: 'refund-b' }))).resolves.toMatchObject({ status: 'succeeded' });

    await expect(gateway.refund(refundRequest({ amount: 1, idempotencyKey: 'refund-c' }))).resolves.toEqual({
      status: 'failed',
      gatewayRefundId: null,
      failureReason: expect.stringMatching(/^charge_already_refunded: /),
    });
  });

  it('refuses a refund larger than what is left unrefunded', async () => {
    await gateway.refund(refundRequest({ amount: 4000, idempotencyKey: 'refund-a' }));

    await expect(gateway.refund(refundRequest({ amount: 901, idempotencyKey: 'refund-b' }))).resolves.toEqual({
      status: 'failed',
      gatewayRefundId: null,
      failureReason: 'amount_too_large: Refund amount (901) is greater than unrefunded amount on charge (900).',
    });
  });

  it('replays the first outcome for a repeated key without refunding again', async () => {
    const first = await gateway.refund(refundRequest({ amount: 2000 }));
    const again = await gateway.refund(refundRequest({ amount: 2000, reason: null, metadata: {} }));

    expect(again).toEqual(first);
    expect(ledger.refundWrites).toBe(1);
    // The replay did not count twice: 2900 is still refundable.
    await expect(gateway.refund(refundRequest({ amount: 2900, idempotencyKey: 'refund-rest' }))).resolves.toMatchObject({ status: 'succeeded' });
  });

  it.each([
    ['amount', { amount: 100 }],
    ['charge', { gatewayChargeId: 'ch_sandbox_other' }],
    ['currency', { currency: 'EUR' }],
  ])('rejects the same key with a different %s', async (_field, change) => {
    await gateway.refund(refundRequest({ amount: 2000 }));

    await expect(gateway.refund(refundRequest({ amount: 2000, ...change }))).rejects.toThrow(IdempotencyKeyReuseError);
    expect(ledger.refundWrites).toBe(1);
  });

  it('fails a refund of a charge it does not know', async () => {
    await expect(gateway.refund(refundRequest({ gatewayChargeId: 'ch_sandbox_unknown' }))).resolves.toEqual({
      status: 'failed',
      gatewayRefundId: null,
      failureReason: "resource_missing: No such charge: 'ch_sandbox_unknown'",
    });
  });

  it('fails a refund of a declined charge', async () => {
    const declined = await gateway.charge(chargeRequest({ paymentMethod: 'pm_card_chargeDeclined', idempotencyKey: 'inv_9:attempt-1' }));

    await expect(gateway.refund(refundRequest({ gatewayChargeId: declined.gatewayChargeId! }))).resolves.toMatchObject({
      status: 'failed',
      failureReason: expect.stringMatching(/^charge_not_refundable: /),
    });
  });

  it('retrieves a refund by its gateway id, and refuses an unknown id', async () => {
    const outcome = await gateway.refund(refundRequest());
    if (outcome.status !== 'succeeded') throw new Error('expected a succeeded refund');

    await expect(gateway.retrieveRefund(outcome.gatewayRefundId)).resolves.toEqual(outcome);
    await expect(gateway.retrieveRefund('re_sandbox_nope')).rejects.toThrow("No such refund: 're_sandbox_nope'");
  });

  it.each([0, -5, 10.5])('rejects refund amount %p before recording anything', async (amount) => {
    await expect(gateway.refund(refundRequest({ amount }))).rejects.toThrow(/Invalid amount/);
    expect(ledger.refundWrites).toBe(0);
  });
});
