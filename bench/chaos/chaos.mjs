// `npm run chaos [-- options]`: fault injection against the real stack (PostgreSQL, Temporal dev
// server on an SQLite file or with --engine server the Temporal server on that PostgreSQL, the
// worker and the API as child processes). The worker is
// bench/chaos/worker.ts: the real worker whose sandbox gateway logs every charge request and can
// fail on purpose. Each scenario seeds its own billing run (N subscriptions due at one moment),
// breaks something while it is in flight and then checks, from the database and the gateway's
// ledger, that every invoice was charged, paid and receipted exactly once:
//   worker-kill       SIGKILL the worker several times mid-run, restarting it each time
//   temporal-restart  stop Temporal mid-run, start it again on the same state (SQLite file or PostgreSQL)
//   postgres-outage   stop PostgreSQL mid-run (20 s; quick 5 s) while polling the API
//   gateway-timeout   the gateway charges but its answers are lost, for 30 s (quick 8 s)
//   gateway-500       the gateway refuses every charge with a 500, for 30 s (quick 8 s)
// Exits 1 when any scenario lost or duplicated a charge, payment or email, recorded a fault as a
// decline, or the API answered anything but 503 (a 500, no answer) while PostgreSQL or Temporal
// was down; 2 on a usage error.
//
// The worker-kill scenario runs on a stack of its own, in parallel with the others (which share one
// stack, one after another): after a SIGKILL, activities that were running on the dead worker are
// retried only when their start-to-close timeout expires (30 s for records, 2 min for a charge), so
// that scenario mostly waits, and running it alongside keeps --quick within about 3 minutes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseEngine } from '../../scripts/lib/temporal-server-config.mjs';
import { startStack } from '../lib/stack.mjs';
import { SCENARIOS, SETTINGS, randomSource, runScenario } from './scenarios.mjs';

const USAGE = `Usage: npm run chaos -- [options]
  --quick             ${SETTINGS.quick.subscriptions} subscriptions per scenario, short outages (about 3 minutes in all)
  --subscriptions N   subscriptions per scenario (default ${SETTINGS.full.subscriptions}; quick ${SETTINGS.quick.subscriptions})
  --scenario LIST     comma-separated, from: ${SCENARIOS.join(', ')} (default all)
  --engine E          Temporal engine: dev (the dev server on SQLite, default) or server (the Temporal
                      server on the stack's PostgreSQL, so postgres-outage takes Temporal down too)
  --workers N         billing workers on worker-kill's stack (default 1): with 2 or more, each SIGKILL
                      takes down the first while the others keep polling (the other scenarios keep one)
  --seed N            seed of the random fault moments (default: random, printed)
  --json FILE         also write the summary as JSON to FILE
  --logs DIR          keep the worker's and the API's last output of each scenario in DIR`;

// The crash scenario gets a stack of its own; the rest share one, in this order.
const LANES = [['worker-kill'], ['temporal-restart', 'postgres-outage', 'gateway-timeout', 'gateway-500']];

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const say = (msg) => process.stderr.write(`[chaos ${elapsed()}] ${msg}\n`);

function parseCli(argv) {
  const { values } = parseArgs({
    args: argv[0] === '--' ? argv.slice(1) : argv,
    options: {
      quick: { type: 'boolean', default: false },
      subscriptions: { type: 'string' },
      scenario: { type: 'string' },
      seed: { type: 'string' },
      engine: { type: 'string' },
      workers: { type: 'string' },
      json: { type: 'string' },
      logs: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const settings = { ...(values.quick ? SETTINGS.quick : SETTINGS.full) };
  if (values.subscriptions !== undefined) {
    const n = Number(values.subscriptions);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--subscriptions must be a positive integer, got "${values.subscriptions}"`);
    settings.subscriptions = n;
  }
  const scenarios = values.scenario ? values.scenario.split(',').map((s) => s.trim()).filter(Boolean) : SCENARIOS;
  for (const name of scenarios) if (!SCENARIOS.includes(name)) throw new Error(`--scenario: unknown scenario "${name}" (${SCENARIOS.join(', ')})`);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${values.seed}"`);
  const engine = parseEngine(values.engine, '--engine');
  const workers = values.workers === undefined ? 1 : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 8) throw new Error(`--workers must be a whole number from 1 to 8, got "${values.workers}"`);
  return { help: values.help, quick: values.quick, settings, scenarios, seed, engine, workers, jsonFile: values.json, logsDir: values.logs };
}

const stacks = new Set();
const tempDirs = new Set();
let stopping = false;
async function stopAll() {
  await Promise.all([...stacks].map((stack) => stack.stop().catch((error) => say(`stopping a stack: ${error.message}`))));
  stacks.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(signal, async () => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping the stacks`);
    await stopAll();
    process.exit(code);
  });
}

/** Boots one stack and runs `names` on it one after another. */
async function runLane(names, laneIndex, options) {
  const tag = (name) => (msg) => say(`${name}: ${msg}`);
  const logDir = mkdtempSync(join(tmpdir(), 'billing-chaos-'));
  tempDirs.add(logDir);
  const chargeLog = join(logDir, 'charge-requests.jsonl');
  const results = [];
  let stack;
  try {
    say(`lane ${laneIndex + 1}: starting a stack for ${names.join(', ')}`);
    const bootStarted = Date.now();
    stack = await startStack({
      engine: options.engine,
      // Only the crash lane runs several: the gateway faults are set per worker process (the first).
      workers: names.includes('worker-kill') ? options.workers : 1,
      workerEntry: 'bench/chaos/worker.ts',
      env: { CHAOS_CHARGE_LOG: chargeLog, CHAOS_GATEWAY_LATENCY_MS: String(options.settings.gatewayLatencyMs) },
      log: tag(`lane ${laneIndex + 1}`),
    });
    stacks.add(stack);
    say(`lane ${laneIndex + 1}: stack up in ${((Date.now() - bootStarted) / 1000).toFixed(1)} s (API ${stack.apiUrl})`);
    const ctx = {
      stack,
      chargeLog,
      settings: options.settings,
      random: randomSource(options.seed + laneIndex),
      seedRate: { msPerSubscription: 300 },
      workerStartMs: 20_000,
    };
    for (const name of names) {
      if (stopping) break;
      say(`${name}: start`);
      const scenarioStarted = Date.now();
      try {
        const scenarioCtx = { ...ctx, log: tag(name) };
        results.push(await runScenario(name, scenarioCtx));
        ctx.workerStartMs = scenarioCtx.workerStartMs;
      } catch (error) {
        say(`${name}: ERROR ${error.stack ?? error.message}`);
        results.push({ scenario: name, subscriptions: options.settings.subscriptions, ok: false, failures: [`scenario error: ${error.message}`] });
      }
      if (options.logsDir) {
        mkdirSync(options.logsDir, { recursive: true });
        writeFileSync(join(options.logsDir, `${name}-worker.log`), stack.worker?.output() ?? '');
        writeFileSync(join(options.logsDir, `${name}-api.log`), stack.apiProcess?.output() ?? '');
      }
      const last = results[results.length - 1];
      last.seconds = Math.round((Date.now() - scenarioStarted) / 100) / 10;
      say(`${name}: ${last.ok ? 'passed' : `FAILED: ${last.failures.join('; ')}`} in ${last.seconds} s`);
    }
  } catch (error) {
    say(`lane ${laneIndex + 1}: ERROR ${error.stack ?? error.message}`);
    for (const name of names.filter((n) => !results.some((r) => r.scenario === n))) {
      results.push({ scenario: name, subscriptions: options.settings.subscriptions, ok: false, failures: [`stack error: ${error.message}`] });
    }
  } finally {
    if (stack) {
      stacks.delete(stack);
      await stack.stop().catch((error) => say(`stopping lane ${laneIndex + 1}: ${error.message}`));
    }
    rmSync(logDir, { recursive: true, force: true });
    tempDirs.delete(logDir);
  }
  return results;
}

const pad = (value, width) => String(value ?? '-').padStart(width);
const padEnd = (value, width) => String(value ?? '-').padEnd(width);

function printTable(results) {
  const columns = [
    ['scenario', 18, (r) => r.scenario, padEnd],
    ['scheduled', 9, (r) => r.counts?.scheduled],
    ['invoiced', 8, (r) => r.counts?.invoiced],
    ['paid', 5, (r) => r.counts?.paid],
    ['charged', 7, (r) => r.counts?.charged],
    ['receipted', 9, (r) => r.counts?.receipted],
    ['duplicates', 10, (r) => r.counts?.duplicates],
    ['lost', 5, (r) => r.counts?.lost],
    ['requests', 8, (r) => r.requests?.total],
    ['repeated keys', 13, (r) => r.requests?.repeatedKeys],
    ['done after fault', 16, (r) => (r.timings?.recoverySeconds == null ? null : `${r.timings.recoverySeconds} s`)],
    ['result', 6, (r) => (r.ok ? 'ok' : 'FAILED'), padEnd],
  ];
  const line = (cells) => cells.join('  ');
  console.log(line(columns.map(([title, width, , align = pad]) => align(title, width))));
  for (const r of results) console.log(line(columns.map(([, width, get, align = pad]) => align(get(r), width))));
  for (const r of results) {
    const details = [];
    if (r.fault?.kills) {
      details.push(`SIGKILLs at ${r.fault.kills.map((k) => `${k.atSeconds} s`).join(', ')} after due (worker back in ${r.fault.kills.map((k) => `${k.restartSeconds} s`).join(', ')})`);
    }
    if (r.fault?.downSeconds !== undefined) details.push(`stopped ${r.fault.stoppedAtSeconds} s after due, down ${r.fault.downSeconds} s`);
    if (r.fault?.mode) details.push(`gateway fault ${r.fault.mode} for ${r.fault.windowSeconds} s from the first charge request; faulted requests ${JSON.stringify(r.requests?.faults ?? {})}`);
    if (r.timings?.completeSeconds != null) details.push(`all paid and receipted ${r.timings.completeSeconds} s after due`);
    console.log(`\n${r.scenario}: ${details.join('; ')}`);
    if (r.temporal?.activityRetries) {
      const retries = Object.entries(r.temporal.activityRetries).map(
        ([activity, { activities, extraAttempts, lastFailure }]) =>
          `${activity} ${activities} retried (${extraAttempts} extra attempts; last failure ${Object.entries(lastFailure).map(([cause, n]) => `${cause} x${n}`).join(', ')})`,
      );
      console.log(`  activity retries: ${retries.length ? retries.join('; ') : 'none'}`);
      console.log(`  workflow task timeouts: ${r.temporal.workflowTaskTimeouts}`);
    }
    if (r.fault?.apiStatusesDuringOutage) {
      const what = r.scenario === 'temporal-restart' ? 'Temporal' : 'PostgreSQL';
      console.log(`  API statuses while ${what} was down:`);
      for (const [route, statuses] of Object.entries(r.fault.apiStatusesDuringOutage)) {
        const slowest = r.fault.apiSlowestSecondsDuringOutage?.[route];
        console.log(`    ${padEnd(route, 34)} ${Object.entries(statuses).map(([status, n]) => `${status} x${n}`).join(', ')}${slowest === undefined ? '' : `  (slowest answer ${slowest} s)`}`);
      }
      console.log(`  API answered normally again ${r.fault.apiRecoverySeconds ?? '(never)'} s after ${what} was back`);
    }
    for (const failure of r.failures) console.log(`  FAILED: ${failure}`);
    for (const line of r.apiErrorLog ?? []) console.log(`  API error log: ${line.slice(0, 2_000)}`);
  }
}

async function main() {
  const options = parseCli(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  // Always a throwaway embedded PostgreSQL: the outage scenario stops it, which an external server
  // given by DATABASE_URL (npm start's, the tests') must never go through.
  delete process.env.DATABASE_URL;
  say(`${options.quick ? 'quick' : 'full'} run on the ${options.engine === 'server' ? 'Temporal server (PostgreSQL)' : 'Temporal dev server (SQLite)'}: `
    + `${options.settings.subscriptions} subscriptions per scenario, seed ${options.seed}, scenarios ${options.scenarios.join(', ')}`);

  const lanes = LANES.map((names) => names.filter((name) => options.scenarios.includes(name))).filter((names) => names.length);
  const laneResults = await Promise.all(lanes.map((names, i) => runLane(names, i, options)));
  const results = options.scenarios.map((name) => laneResults.flat().find((r) => r.scenario === name));
  const summary = {
    mode: options.quick ? 'quick' : 'full',
    engine: options.engine,
    workers: options.workers,
    seed: options.seed,
    subscriptionsPerScenario: options.settings.subscriptions,
    settings: options.settings,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    ok: results.every((r) => r.ok),
    scenarios: results,
  };
  if (options.jsonFile) writeFileSync(options.jsonFile, `${JSON.stringify(summary, null, 2)}\n`);

  console.log(`\nFault injection (${summary.mode}, engine ${summary.engine}, ${summary.workers} worker(s) on worker-kill, ${summary.subscriptionsPerScenario} subscriptions per scenario, seed ${summary.seed}, ${summary.seconds} s)\n`);
  printTable(results);
  console.log(`\n${summary.ok ? 'All scenarios passed' : 'FAILED'}: ${results.filter((r) => r.ok).length}/${results.length} scenarios ok`);
  return summary.ok ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (error) {
  say(error.message);
  process.exitCode = 2;
} finally {
  await stopAll();
}
