// The fault-injection scenarios. Each seeds its own billing run (N subscriptions due at one moment),
// breaks one part of the stack while that run is in flight, waits until every subscription has its
// paid invoice and receipt (or a deadline passes), and returns the counts that say whether anything
// was lost or done twice. Several scenarios can share one stack: each only counts its own subscriptions.
import { readFileSync } from 'node:fs';
import { billingRunCounts, seedBillingRun } from '../lib/billing-run.mjs';
import { POSTGRES_PROBE_TIMEOUT_MS, TEMPORAL_PROBE_TIMEOUT_MS, createProbeSubscription, postgresProbes, startProbing, temporalProbes } from './api-probes.mjs';
import { chargeRequestStats, describe, extraChecks, sameProgress, snapshot, temporalDiagnostics } from './run-diagnostics.mjs';
import { isRunning, stopChild } from '../../scripts/lib/proc.mjs';

export const SCENARIOS = ['worker-kill', 'temporal-restart', 'postgres-outage', 'gateway-timeout', 'gateway-500'];

/** Per mode. `settleMs`: how long after the last fault a run may take to complete before it counts as lost. */
export const SETTINGS = {
  quick: {
    subscriptions: 20,
    kills: 2,
    // After a restart, the next SIGKILL comes this long (random) after the run progresses again,
    // or after killProgressWaitMs without progress.
    workerUpMs: [0, 1_500],
    killProgressWaitMs: 45_000,
    temporalDownMs: 3_000,
    postgresOutageMs: 5_000,
    gatewayWindowMs: 8_000,
    gatewayTimeoutDelayMs: 1_000,
    // Every charge request takes this long (half before, half after the sandbox records it).
    gatewayLatencyMs: 600,
    settleMs: 240_000,
  },
  full: {
    subscriptions: 200,
    kills: 5,
    // Longer than in quick, so the kills spread over the run (invoicing, charging, receipts).
    workerUpMs: [2_000, 12_000],
    killProgressWaitMs: 60_000,
    temporalDownMs: 10_000,
    postgresOutageMs: 20_000,
    gatewayWindowMs: 30_000,
    gatewayTimeoutDelayMs: 5_000,
    gatewayLatencyMs: 600,
    settleMs: 600_000,
  },
};

const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const seconds = (ms) => Math.round(ms / 100) / 10;

/** A small seeded PRNG (mulberry32), so a run's random moments can be replayed with --seed. */
export function randomSource(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, between: (lo, hi) => Math.round(lo + (hi - lo) * next()) };
}

/**
 * @param {object} ctx
 * @param {object} ctx.stack      from startStack (worker = bench/chaos/worker.ts)
 * @param {string} ctx.chargeLog  the chaos gateway's request log of this stack
 * @param {object} ctx.settings   SETTINGS[mode], with `subscriptions` possibly overridden
 * @param {ReturnType<typeof randomSource>} ctx.random
 * @param {(msg: string) => void} ctx.log
 * @param {{ msPerSubscription: number }} ctx.seedRate  learned across the scenarios of one stack
 * @param {number} ctx.workerStartMs  how long a worker takes to start (learned likewise)
 */
export async function runScenario(name, ctx) {
  const scenario = SCENARIO_IMPLEMENTATIONS[name];
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  const { stack, settings, log } = ctx;
  const count = settings.subscriptions;
  const result = { scenario: name, subscriptions: count, ok: false, failures: [] };

  // Seed (and meanwhile, for the gateway scenarios, swap in a reconfigured worker), then wait for
  // the due moment.
  const seedEstimateMs = count * ctx.seedRate.msPerSubscription * 1.5;
  const prepareEstimateMs = scenario.prepare ? ctx.workerStartMs * 1.3 : 0;
  const dueAt = Math.ceil((Date.now() + 3_000 + Math.max(seedEstimateMs, prepareEstimateMs)) / 1000) * 1000;
  log(`seeding ${count} subscriptions due at ${new Date(dueAt).toISOString()} (in ${seconds(dueAt - Date.now())} s)`);
  const seedStarted = Date.now();
  const [seeded] = await Promise.all([
    seedBillingRun(stack, { count, startAt: new Date(dueAt) }).then((value) => {
      const seedMs = Date.now() - seedStarted;
      ctx.seedRate.msPerSubscription = Math.max(50, seedMs / count);
      result.seeding = { seconds: seconds(seedMs), slackSeconds: seconds(dueAt - Date.now()) };
      return value;
    }),
    scenario.prepare?.(ctx, { dueAt }),
  ]);
  const { subscriptionIds } = seeded;
  const probeTarget = scenario.probeTarget ? await scenario.probeTarget(stack, seeded) : undefined;
  if (Date.now() > dueAt) log(`WARNING: the preparations overran the due moment by ${seconds(Date.now() - dueAt)} s`);
  await sleep(dueAt - Date.now());

  // The fault, while the run is in flight.
  const fault = await scenario.inject(ctx, { dueAt, subscriptionIds, probeTarget });
  result.fault = fault.details;
  const faultEndedAt = fault.endedAt;

  // Then let it finish.
  const deadline = faultEndedAt + settings.settleMs;
  let counts;
  let lastProgress = '';
  for (;;) {
    try {
      counts = await billingRunCounts(stack, subscriptionIds);
    } catch (error) {
      counts = { error: error.message };
    }
    const progress = `invoiced ${counts.invoiced}, paid ${counts.paid}, receipted ${counts.receipted}, lost ${counts.lost}`;
    if (progress !== lastProgress && counts.lost !== undefined) {
      log(`${seconds(Date.now() - dueAt)} s after due: ${progress}`);
      lastProgress = progress;
    }
    if (counts.lost === 0 || Date.now() > deadline) break;
    await sleep(500);
  }
  const doneAt = Date.now();
  // A second look a moment later: a late activity retry must not add a second charge or email.
  await sleep(1_000);
  counts = await billingRunCounts(stack, subscriptionIds);
  result.counts = counts;
  result.checks = await extraChecks(stack, subscriptionIds);
  result.requests = await chargeRequestStats(ctx, subscriptionIds);
  result.temporal = await temporalDiagnostics(stack, subscriptionIds).catch((error) => ({ error: error.message }));
  result.timings = {
    // From the due moment until every subscription has its paid invoice and receipt.
    completeSeconds: counts.lost === 0 ? seconds(doneAt - dueAt) : null,
    // From the end of the fault (last worker restart, Temporal or PostgreSQL back, gateway healthy).
    recoverySeconds: counts.lost === 0 ? seconds(doneAt - faultEndedAt) : null,
  };
  for (const [what, child] of [['worker', stack.worker], ['api', stack.apiProcess]]) {
    if (!child || !isRunning(child)) result.failures.push(`the ${what} process is not running after the scenario`);
  }
  if (counts.duplicates > 0) result.failures.push(`${counts.duplicates} invoice(s) charged, paid or receipted more than once`);
  if (counts.lost > 0) result.failures.push(`${counts.lost} subscription(s) without a paid invoice and receipt ${seconds(settings.settleMs)} s after the fault`);
  if (counts.charged !== counts.scheduled) result.failures.push(`${counts.charged} of ${counts.scheduled} invoices have a successful gateway charge`);
  if (counts.invoiced > counts.scheduled) result.failures.push(`${counts.invoiced} invoices for ${counts.scheduled} subscriptions' first period`);
  const { failedPayments, customersWithSeveralEmails, failureNotices } = result.checks;
  // Every card in the run succeeds: a failed payment means a fault was recorded as a decline.
  if (failedPayments > 0) result.failures.push(`${failedPayments} payment(s) recorded as failed (a gateway fault taken for a decline?)`);
  if (failureNotices > 0) result.failures.push(`${failureNotices} payment-failed email(s) sent`);
  if (customersWithSeveralEmails > 0) result.failures.push(`${customersWithSeveralEmails} customer(s) got more than one email`);
  result.failures.push(...(fault.failures ?? []), ...(scenario.check?.(result) ?? []));
  result.ok = result.failures.length === 0;
  if (!result.ok) {
    // What the API logged as unhandled (the 500s), for whoever reads the failure.
    result.apiErrorLog = (stack.apiProcess?.output() ?? '').split('\n').filter((line) => line.includes('"level":50')).slice(-5);
  }
  return result;
}


const SCENARIO_IMPLEMENTATIONS = {
  /**
   * SIGKILL the worker several times while the run is in flight: the first kill at a random moment
   * just after the due moment, each later one at a random moment after the restarted worker has
   * recorded progress again (so it dies in the middle of work, not while idle waiting for the
   * activity timeouts of the previous crash).
   */
  'worker-kill': {
    async inject({ stack, settings, random, log }, { dueAt, subscriptionIds }) {
      const kills = [];
      await sleep(random.between(200, 1_500));
      for (let i = 0; i < settings.kills; i++) {
        const before = await snapshot(stack, subscriptionIds);
        if (before.receipted === subscriptionIds.length) {
          log(`the run finished before kill ${i + 1}`);
          break;
        }
        const at = Date.now();
        await stack.killWorker('SIGKILL');
        const others = stack.extraWorkers.length ? `, ${stack.extraWorkers.length} other worker(s) still polling` : '';
        log(`SIGKILL worker ${i + 1}/${settings.kills} at ${seconds(at - dueAt)} s after due (${describe(before)}${others})`);
        const restartAt = Date.now();
        await stack.startWorker();
        kills.push({ atSeconds: seconds(at - dueAt), restartSeconds: seconds(Date.now() - restartAt), before });
        if (i === settings.kills - 1) break;
        // Wait for the new worker to get going, then pick the next moment.
        const waitUntil = Date.now() + settings.killProgressWaitMs;
        while (Date.now() < waitUntil) {
          const now = await snapshot(stack, subscriptionIds);
          if (!now.error && !sameProgress(now, before)) break;
          await sleep(200);
        }
        await sleep(random.between(...settings.workerUpMs));
      }
      return { endedAt: Date.now(), details: { kills } };
    },
  },

  /** Stop the Temporal dev server mid-run and start it again on the same SQLite file. */
  'temporal-restart': {
    probeTarget: createProbeSubscription,
    async inject({ stack, settings, random, log }, { dueAt, subscriptionIds, probeTarget }) {
      await sleep(random.between(500, 2_000));
      const probes = temporalProbes(probeTarget);
      const before = await snapshot(stack, subscriptionIds);
      const stopAt = Date.now();
      const polling = startProbing(stack, probes, { intervalMs: 500, timeoutMs: TEMPORAL_PROBE_TIMEOUT_MS });
      await stack.stopTemporal();
      const downAt = Date.now();
      log(`Temporal stopped at ${seconds(stopAt - dueAt)} s (took ${seconds(downAt - stopAt)} s; ${describe(before)})`);
      await sleep(settings.temporalDownMs);
      const restartAt = Date.now();
      await stack.startTemporal();
      const upAt = Date.now();
      log(`Temporal up again after ${seconds(upAt - downAt)} s down`);
      const api = await polling.finish({ downAt, restartAt, upAt, what: 'Temporal' });
      log(`API answered normally again ${api.apiRecoverySeconds ?? '(never)'} s after Temporal came back`);
      return {
        endedAt: upAt,
        failures: api.failures,
        details: { stoppedAtSeconds: seconds(stopAt - dueAt), downSeconds: seconds(upAt - downAt), before, ...api.details },
      };
    },
  },

  /** Stop PostgreSQL mid-run; meanwhile poll the API, which must answer 503, then recover. */
  'postgres-outage': {
    async inject({ stack, settings, random, log }, { dueAt, subscriptionIds }) {
      await sleep(random.between(500, 2_000));
      const probes = postgresProbes(subscriptionIds[0]);
      const before = await snapshot(stack, subscriptionIds);
      const stopAt = Date.now();
      const polling = startProbing(stack, probes, { intervalMs: 250, timeoutMs: POSTGRES_PROBE_TIMEOUT_MS });
      await stack.stopPostgres();
      const downAt = Date.now();
      log(`PostgreSQL stopped at ${seconds(stopAt - dueAt)} s (took ${seconds(downAt - stopAt)} s; ${describe(before)})`);
      await sleep(settings.postgresOutageMs);
      const restartAt = Date.now();
      await stack.startPostgres();
      const upAt = Date.now();
      log(`PostgreSQL up again after ${seconds(upAt - downAt)} s down`);
      const api = await polling.finish({ downAt, restartAt, upAt, what: 'PostgreSQL' });
      log(`API answered normally again ${api.apiRecoverySeconds ?? '(never)'} s after PostgreSQL came back`);
      return {
        endedAt: upAt,
        failures: api.failures,
        details: { stoppedAtSeconds: seconds(stopAt - dueAt), downSeconds: seconds(upAt - downAt), before, ...api.details },
      };
    },
  },

  'gateway-timeout': gatewayScenario('timeout-after-charge'),
  'gateway-500': gatewayScenario('error-500'),
};

/**
 * The gateway fails for a window that opens at the first charge request of the run (on a loaded
 * machine that can be seconds after the due moment): every charge in it either goes through with
 * its answer lost (timeout-after-charge) or is refused (error-500). The worker is restarted,
 * gracefully, with the window in its environment after seeding.
 */
function gatewayScenario(mode) {
  return {
    // Starting the reconfigured worker (bundling included) runs alongside the seeding.
    async prepare(ctx) {
      const { stack, settings, log } = ctx;
      const env = {
        CHAOS_GATEWAY_FAULT: mode,
        CHAOS_FAULT_FROM: 'first-charge',
        CHAOS_FAULT_FOR_MS: String(settings.gatewayWindowMs),
        CHAOS_FAULT_DELAY_MS: String(mode === 'timeout-after-charge' ? settings.gatewayTimeoutDelayMs : 0),
      };
      // The new worker first, then the old one stops gracefully: the seeding never lacks a worker.
      const previous = stack.worker;
      const started = Date.now();
      await stack.startWorker({ env });
      ctx.workerStartMs = Date.now() - started;
      await stopChild(previous, { signal: 'SIGTERM', graceMs: 30_000 });
      log(`worker replaced by one with gateway fault ${mode} for ${seconds(settings.gatewayWindowMs)} s from the first charge request`);
    },
    async inject(ctx) {
      const { settings } = ctx;
      const openedAt = await firstFaultedRequestAt(ctx, mode);
      const endedAt = (openedAt ?? Date.now()) + settings.gatewayWindowMs;
      await sleep(endedAt - Date.now());
      return { endedAt, details: { mode, windowSeconds: seconds(settings.gatewayWindowMs), openedAt: openedAt && new Date(openedAt).toISOString() } };
    },
    check: (result) =>
      result.requests?.faults?.[mode] ? [] : [`no charge request met the ${mode} fault (the window missed the run): nothing was tested`],
  };
}

/** When the gateway log shows the first request that met `mode` (the window opened); null after 2 min without one. */
async function firstFaultedRequestAt(ctx, mode) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    let lines = [];
    try {
      lines = readFileSync(ctx.chargeLog, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
    } catch {
      // no request logged yet
    }
    const first = lines.find((record) => record.fault === mode);
    if (first) return Date.parse(first.at);
    await sleep(200);
  }
  return null;
}
