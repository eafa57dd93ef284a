/**
 * The short fault-injection run in `npm test`: `npm run chaos -- --quick` (bench/chaos/run.mjs) as a
 * child process, on stacks of its own (its own PostgreSQL, which it stops on purpose, and its own
 * Temporal dev server, which it restarts), not the ones the Jest global setup started. Each scenario
 * bills a batch of subscriptions due at the same moment while something breaks:
 *   - worker-kill: the worker is SIGKILLed twice mid-run;
 *   - temporal-restart: the Temporal dev server is stopped and started again on its SQLite file;
 *   - postgres-outage: PostgreSQL is down for 5 s while the API is polled (it must answer 503);
 *   - gateway-timeout / gateway-500: the gateway loses its answers / refuses charges for 8 s.
 * Then every invoice must be charged at the gateway, paid and receipted exactly once, none missing.
 * The run takes about 3 minutes, most of it waiting out the activity timeouts after the SIGKILLs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const RUN_TIMEOUT_MS = 12 * 60_000;

interface Counts {
  scheduled: number;
  invoiced: number;
  paid: number;
  charged: number;
  receipted: number;
  duplicates: number;
  lost: number;
}

interface ScenarioResult {
  scenario: string;
  subscriptions: number;
  ok: boolean;
  failures: string[];
  counts?: Counts;
  requests?: { total: number; keys: number; repeatedKeys: number; maxPerKey: number; faults: Record<string, number> };
  fault?: {
    kills?: { atSeconds: number }[];
    apiStatusesDuringOutage?: Record<string, Record<string, number>>;
    apiRecoverySeconds?: number | null;
  };
}

interface ChaosSummary {
  ok: boolean;
  scenarios: ScenarioResult[];
}

const tail = (text: string, lines = 60): string => text.trimEnd().split('\n').slice(-lines).join('\n');

let summary: ChaosSummary | undefined;
let output = '';
let child: ChildProcess | undefined;
const workDir = mkdtempSync(join(tmpdir(), 'billing-chaos-test-'));

beforeAll(async () => {
  const jsonFile = join(workDir, 'chaos.json');
  // The runner boots throwaway stacks of its own: it must not see the global setup's servers.
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    child = spawn(process.execPath, ['bench/chaos/run.mjs', '--quick', '--json', jsonFile, '--logs', join(workDir, 'logs')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', reject);
    child.once('close', (exitCode) => resolvePromise(exitCode));
  });
  child = undefined;
  if (!existsSync(jsonFile)) throw new Error(`bench/chaos/run.mjs --quick exited ${code} without a summary:\n${tail(output)}`);
  summary = JSON.parse(readFileSync(jsonFile, 'utf8')) as ChaosSummary;
}, RUN_TIMEOUT_MS);

afterAll(async () => {
  // Interrupted (timeout): the runner stops its stacks on SIGTERM.
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child?.once('close', r));
    child.kill('SIGTERM');
    await exited;
  }
  // A failed run keeps its summary and the API's and worker's last output of each scenario: the
  // failure message says what broke, those say why (a CI log holds only the runner's tail).
  if (summary?.ok === true) rmSync(workDir, { recursive: true, force: true });
  else console.error(`fault injection: the run's summary (chaos.json) and the API's and worker's logs are kept in ${workDir}`);
}, 60_000);

function resultOf(name: string): ScenarioResult {
  const result = summary?.scenarios.find((s) => s.scenario === name);
  if (!result) throw new Error(`no result for scenario ${name}:\n${tail(output)}`);
  return result;
}

describe('fault injection (npm run chaos -- --quick)', () => {
  test.each(['worker-kill', 'temporal-restart', 'postgres-outage', 'gateway-timeout', 'gateway-500'])(
    '%s: every invoice charged, paid and receipted exactly once, none lost',
    (name) => {
      const result = resultOf(name);
      // The failures say what went wrong in words; the runner's output says when.
      expect({ failures: result.failures, output: result.failures.length ? `${tail(output)}\n(logs kept in ${workDir})` : '' }).toEqual({ failures: [], output: '' });
      const n = result.subscriptions;
      expect(result.counts).toEqual({ scheduled: n, invoiced: n, paid: n, charged: n, receipted: n, duplicates: 0, lost: 0 });
    },
  );

  test('the worker was SIGKILLed mid-run more than once', () => {
    expect(resultOf('worker-kill').fault?.kills?.length).toBeGreaterThanOrEqual(2);
  });

  test('gateway faults: charges were asked again with the same idempotency key, yet charged once', () => {
    for (const name of ['gateway-timeout', 'gateway-500']) {
      const { requests, counts, subscriptions } = resultOf(name);
      expect(requests?.repeatedKeys).toBeGreaterThan(0);
      expect(requests?.total).toBeGreaterThan(subscriptions);
      expect(requests?.keys).toBe(subscriptions);
      expect(counts?.charged).toBe(subscriptions);
    }
    expect(resultOf('gateway-timeout').requests?.faults['timeout-after-charge']).toBeGreaterThan(0);
    expect(resultOf('gateway-500').requests?.faults['error-500']).toBeGreaterThan(0);
  });

  test('postgres outage: the API answered 503 on every polled route, never 500, then recovered', () => {
    const { fault } = resultOf('postgres-outage');
    const statuses = fault?.apiStatusesDuringOutage ?? {};
    expect(Object.keys(statuses).length).toBeGreaterThanOrEqual(5);
    for (const [route, byStatus] of Object.entries(statuses)) {
      // A request already on its way when the database went down may still have got its answer.
      const wrong = Object.keys(byStatus).filter((status) => status !== '503' && !(Number(status) < 500));
      expect({ route, wrong, answered503: (byStatus['503'] ?? 0) > 0 }).toEqual({ route, wrong: [], answered503: true });
    }
    expect(fault?.apiRecoverySeconds).not.toBeNull();
  });
});
