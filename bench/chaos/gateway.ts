/**
 * The fault-injecting payment gateway decorator of the chaos worker (bench/chaos/worker.ts): records
 * every charge request and, during a configured window, fails the way a real gateway does.
 * Configured through the environment of the worker:
 *
 *   CHAOS_CHARGE_LOG       file that gets one JSON line per charge request (appended synchronously,
 *                          before the request goes on, so a SIGKILL loses nothing already asked)
 *   CHAOS_GATEWAY_FAULT    `timeout-after-charge`: the request reaches the gateway (the sandbox
 *                          records the charge) but the answer is lost: GatewayUnavailableError;
 *                          `error-500`: the gateway fails before charging: GatewayUnavailableError;
 *                          unset or `none`: no faults
 *   CHAOS_FAULT_FROM       the fault window [FROM, UNTIL): each is epoch milliseconds, or a duration
 *   CHAOS_FAULT_UNTIL      after the worker process started (`0`, `5000`, `5s`, `2m`); FROM defaults
 *                          to the start, UNTIL to forever. FROM `first-charge` opens the window at
 *                          the first charge request, for CHAOS_FAULT_FOR_MS (so a slow, loaded
 *                          machine cannot make the run miss the window)
 *   CHAOS_FAULT_DELAY_MS   how long a faulty request hangs before failing (a timeout), default 0
 *   CHAOS_GATEWAY_LATENCY_MS  latency of every request, half before the gateway charges and half
 *                          after (a real gateway takes a while; a crash in the second half leaves a
 *                          charge made whose answer never arrived), default 0
 */
import { appendFileSync } from 'node:fs';
import { GatewayUnavailableError, type ChargeOutcome, type ChargeRequest, type PaymentGateway } from '../../activities/payments/gateway';

export type GatewayFault = 'none' | 'timeout-after-charge' | 'error-500';

export interface ChaosGatewayOptions {
  /** JSON lines file of every charge request; undefined records nothing. */
  logFile?: string;
  fault: GatewayFault;
  /** Fault window, epoch milliseconds, [from, until). */
  from: number;
  until: number;
  /** When set, the window opens at the first charge request and lasts this long (from/until are ignored). */
  windowFromFirstChargeMs?: number;
  delayMs: number;
  latencyMs: number;
  now?: () => number;
}

/** One line of the request log. */
export interface ChargeRequestRecord {
  at: string;
  pid: number;
  idempotency_key: string;
  invoice_id: string | null;
  amount: number;
  currency: string;
  /** What this request will run into; `none` passes it to the gateway untouched. */
  fault: GatewayFault;
}

const EPOCH_MS_FLOOR = 1e12; // 2001-09-09: any larger number is a point in time, not a duration

/** `1700000000000` (epoch ms) or `5000` / `5s` / `2m` (after `startedAt`). */
export function parseInstant(raw: string | undefined, startedAt: number, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(raw);
  if (!match) throw new Error(`Not an instant or duration: ${JSON.stringify(raw)} (epoch ms, or 5000 / 5s / 2m after start)`);
  const value = Number(match[1]);
  if (match[2] === undefined && value >= EPOCH_MS_FLOOR) return value;
  const factor = match[2] === 'm' ? 60_000 : match[2] === 's' ? 1_000 : 1;
  return startedAt + value * factor;
}

export function chaosOptionsFromEnv(env: NodeJS.ProcessEnv, startedAt = Date.now()): ChaosGatewayOptions {
  const fault = (env.CHAOS_GATEWAY_FAULT || 'none') as GatewayFault;
  if (!['none', 'timeout-after-charge', 'error-500'].includes(fault)) {
    throw new Error(`CHAOS_GATEWAY_FAULT must be none, timeout-after-charge or error-500, got ${JSON.stringify(fault)}`);
  }
  if (env.CHAOS_FAULT_FROM === 'first-charge') {
    const windowMs = Number(env.CHAOS_FAULT_FOR_MS);
    if (!Number.isFinite(windowMs) || windowMs <= 0) throw new Error('CHAOS_FAULT_FROM=first-charge needs CHAOS_FAULT_FOR_MS, a positive number of ms');
    return {
      logFile: env.CHAOS_CHARGE_LOG || undefined,
      fault,
      from: Number.POSITIVE_INFINITY,
      until: Number.POSITIVE_INFINITY,
      windowFromFirstChargeMs: windowMs,
      delayMs: Number(env.CHAOS_FAULT_DELAY_MS || 0),
      latencyMs: Number(env.CHAOS_GATEWAY_LATENCY_MS || 0),
    };
  }
  return {
    logFile: env.CHAOS_CHARGE_LOG || undefined,
    fault,
    from: parseInstant(env.CHAOS_FAULT_FROM, startedAt, startedAt),
    until: parseInstant(env.CHAOS_FAULT_UNTIL, startedAt, Number.POSITIVE_INFINITY),
    delayMs: Number(env.CHAOS_FAULT_DELAY_MS || 0),
    latencyMs: Number(env.CHAOS_GATEWAY_LATENCY_MS || 0),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Wraps a gateway: records each request, then passes it on or fails it as the window says. */
export function chaosGateway(inner: PaymentGateway, options: ChaosGatewayOptions): PaymentGateway {
  const now = options.now ?? Date.now;
  const half = options.latencyMs / 2;
  let { from, until } = options;
  return {
    name: inner.name,
    async charge(request: ChargeRequest): Promise<ChargeOutcome> {
      const t = now();
      if (options.windowFromFirstChargeMs !== undefined && from === Number.POSITIVE_INFINITY) {
        from = t;
        until = t + options.windowFromFirstChargeMs;
      }
      const fault: GatewayFault = options.fault !== 'none' && t >= from && t < until ? options.fault : 'none';
      if (options.logFile) {
        const record: ChargeRequestRecord = {
          at: new Date(t).toISOString(),
          pid: process.pid,
          idempotency_key: request.idempotencyKey,
          invoice_id: request.metadata.invoice_id ?? null,
          amount: request.amount,
          currency: request.currency,
          fault,
        };
        appendFileSync(options.logFile, `${JSON.stringify(record)}\n`);
      }
      if (half > 0) await sleep(half);
      if (fault === 'none') {
        const outcome = await inner.charge(request);
        if (half > 0) await sleep(half);
        return outcome;
      }
      if (fault === 'timeout-after-charge') await inner.charge(request);
      if (options.delayMs > 0) await sleep(options.delayMs);
      throw new GatewayUnavailableError(
        fault === 'error-500'
          ? 'chaos: the gateway answered 500 Internal Server Error'
          : 'chaos: the gateway did not answer in time (the charge went through, the answer was lost)',
      );
    },
    // Refunds are not part of the fault scenarios: passed on untouched.
    refund: (request) => inner.refund(request),
    retrieveRefund: (gatewayRefundId) => inner.retrieveRefund(gatewayRefundId),
  };
}
