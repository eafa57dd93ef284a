/** The fault-injecting gateway decorator of the chaos worker (bench/chaos/gateway.ts). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chaosGateway, chaosOptionsFromEnv, parseInstant, type ChaosGatewayOptions } from '../../bench/chaos/gateway';
import { GatewayUnavailableError, type ChargeRequest, type PaymentGateway } from '../../activities/payments/gateway';

const request = (key: string): ChargeRequest => ({
  amount: 1500,
  currency: 'USD',
  paymentMethod: 'pm_card_visa',
  idempotencyKey: key,
  description: 'Invoice INV-000001',
  metadata: { invoice_id: key.replace(/-attempt-\d+$/, '') },
});

function countingGateway(): PaymentGateway & { calls: string[] } {
  const calls: string[] = [];
  return {
    name: 'sandbox',
    calls,
    charge: async (r) => {
      calls.push(r.idempotencyKey);
      return { status: 'succeeded', gatewayChargeId: `ch_${r.idempotencyKey}` };
    },
    refund: () => Promise.reject(new Error('no refunds in this test')),
    retrieveRefund: () => Promise.reject(new Error('no refunds in this test')),
  };
}

describe('chaos gateway', () => {
  let dir: string;
  let clock: number;
  const base = (overrides: Partial<ChaosGatewayOptions>): ChaosGatewayOptions => ({
    logFile: join(dir, 'requests.jsonl'),
    fault: 'none',
    from: 1_000,
    until: 2_000,
    delayMs: 0,
    latencyMs: 0,
    now: () => clock,
    ...overrides,
  });
  const logged = () =>
    readFileSync(join(dir, 'requests.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { idempotency_key: string; invoice_id: string; fault: string });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chaos-gateway-'));
    clock = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('timeout-after-charge charges, then loses the answer, only inside the window', async () => {
    const inner = countingGateway();
    const gateway = chaosGateway(inner, base({ fault: 'timeout-after-charge' }));
    await expect(gateway.charge(request('in_1-attempt-1'))).resolves.toMatchObject({ status: 'succeeded' });
    clock = 1_500;
    await expect(gateway.charge(request('in_2-attempt-1'))).rejects.toBeInstanceOf(GatewayUnavailableError);
    clock = 2_000;
    await expect(gateway.charge(request('in_2-attempt-1'))).resolves.toMatchObject({ status: 'succeeded' });
    expect(inner.calls).toEqual(['in_1-attempt-1', 'in_2-attempt-1', 'in_2-attempt-1']);
    expect(logged().map((r) => [r.idempotency_key, r.invoice_id, r.fault])).toEqual([
      ['in_1-attempt-1', 'in_1', 'none'],
      ['in_2-attempt-1', 'in_2', 'timeout-after-charge'],
      ['in_2-attempt-1', 'in_2', 'none'],
    ]);
  });

  test('error-500 fails without reaching the gateway', async () => {
    const inner = countingGateway();
    const gateway = chaosGateway(inner, base({ fault: 'error-500' }));
    clock = 1_000;
    await expect(gateway.charge(request('in_3-attempt-1'))).rejects.toBeInstanceOf(GatewayUnavailableError);
    expect(inner.calls).toEqual([]);
    expect(logged()).toHaveLength(1);
  });

  test('a window that opens at the first charge request, however late it comes', async () => {
    const inner = countingGateway();
    const timed = chaosGateway(inner, { ...chaosOptionsFromEnv({ CHAOS_GATEWAY_FAULT: 'error-500', CHAOS_FAULT_FROM: 'first-charge', CHAOS_FAULT_FOR_MS: '500' }), now: () => clock });
    clock = 60_000; // a minute after the worker started: the window opens now
    await expect(timed.charge(request('in_4-attempt-1'))).rejects.toBeInstanceOf(GatewayUnavailableError);
    clock = 60_499;
    await expect(timed.charge(request('in_4-attempt-1'))).rejects.toBeInstanceOf(GatewayUnavailableError);
    clock = 60_500;
    await expect(timed.charge(request('in_4-attempt-1'))).resolves.toMatchObject({ status: 'succeeded' });
    expect(inner.calls).toEqual(['in_4-attempt-1']);
    expect(() => chaosOptionsFromEnv({ CHAOS_GATEWAY_FAULT: 'error-500', CHAOS_FAULT_FROM: 'first-charge' })).toThrow(/CHAOS_FAULT_FOR_MS/);
  });

  test('window from the environment: epoch milliseconds or a duration after start', () => {
    expect(parseInstant('1700000000000', 5, 0)).toBe(1_700_000_000_000);
    expect(parseInstant('5000', 1_000, 0)).toBe(6_000);
    expect(parseInstant('5s', 1_000, 0)).toBe(6_000);
    expect(parseInstant('2m', 0, 0)).toBe(120_000);
    expect(parseInstant(undefined, 0, 42)).toBe(42);
    expect(() => parseInstant('soon', 0, 0)).toThrow(/Not an instant/);
    expect(chaosOptionsFromEnv({ CHAOS_GATEWAY_FAULT: 'error-500', CHAOS_FAULT_UNTIL: '10s' }, 100)).toMatchObject({
      fault: 'error-500',
      from: 100,
      until: 10_100,
      logFile: undefined,
    });
    expect(chaosOptionsFromEnv({}, 100)).toMatchObject({ fault: 'none', until: Number.POSITIVE_INFINITY });
    expect(() => chaosOptionsFromEnv({ CHAOS_GATEWAY_FAULT: 'flaky' })).toThrow(/CHAOS_GATEWAY_FAULT/);
  });
});
