// A throwaway copy of the whole stack for benchmarks and fault injection: PostgreSQL, a Temporal dev
// server on an SQLite file, migrations, then the worker and the API as child processes, exactly as
// `npm start` runs them, with handles to kill, restart or stop each part while a run is in flight.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../../scripts/lib/postgres.mjs';
import { findFreePort, waitForPort } from '../../scripts/lib/ports.mjs';
import { capture, isRunning, stopChild, tail } from '../../scripts/lib/proc.mjs';
import { startTemporalDevServer } from '../../scripts/lib/temporal.mjs';
import { ROOT, ensureTools } from '../../scripts/lib/tools.mjs';

/**
 * @param {object} [options]
 * @param {string} [options.workerEntry]  TypeScript entry of the worker process (default worker/main.ts)
 * @param {Record<string,string>} [options.env]  extra environment for the worker and the API
 * @param {boolean} [options.api]  start the API too (default true)
 * @param {(msg: string) => void} [options.log]
 */
export async function startStack({ workerEntry = 'worker/main.ts', env = {}, api = true, log = () => {} } = {}) {
  const tools = await ensureTools({ log });
  const dir = await mkdtemp(join(tmpdir(), 'billing-stack-'));
  const pgPort = await findFreePort();
  const temporalPort = await findFreePort();
  const apiPort = await findFreePort();
  const temporalDbFile = join(dir, 'temporal.db');
  const adminKey = `bk_${randomBytes(24).toString('base64url')}`;
  const pgOptions = { dataDir: join(dir, 'postgres'), port: pgPort, persistent: true, database: 'billing', throwaway: true, log };

  const stack = {
    dir,
    adminKey,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    temporalDbFile,
    postgres: undefined,
    temporal: undefined,
    worker: undefined,
    apiProcess: undefined,
  };

  const appEnv = () => ({
    ...process.env,
    DATABASE_URL: stack.postgres.url,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: 'billing',
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    ADMIN_API_KEY: adminKey,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // The benchmarks measure throughput, not the abuse limits: one key reads far above 100 req/s.
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000',
    ...env,
  });

  /** Spawns a TypeScript entry with tsx's loader; resolves once `ready(output)` holds. */
  async function spawnApp(name, file, ready, { timeoutMs = 120_000, extraEnv = {} } = {}) {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      env: { ...appEnv(), ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk) => { output = (output + chunk).slice(-65_536); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.output = () => output;
    const deadline = Date.now() + timeoutMs;
    while (!(await ready(() => output))) {
      if (!isRunning(child)) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${tail(output, 30)}`);
      if (Date.now() > deadline) {
        await stopChild(child, { signal: 'SIGKILL', graceMs: 1_000 });
        throw new Error(`${name} not ready within ${timeoutMs / 1000} s:\n${tail(output, 30)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return child;
  }

  // For extra processes that must run with the same settings as the worker and the API (the
  // benchmark's baselines): the environment those get, and the way they are started.
  stack.appEnv = appEnv;
  stack.spawnApp = spawnApp;

  stack.startPostgres = async () => { stack.postgres = await startPostgres(pgOptions); };
  stack.stopPostgres = async () => { await stack.postgres?.stop(); stack.postgres = undefined; };

  stack.startTemporal = async () => {
    stack.temporal = await startTemporalDevServer({ cli: tools.temporalCli, port: temporalPort, dbFile: temporalDbFile, log });
  };
  stack.stopTemporal = async () => { await stack.temporal?.stop(); stack.temporal = undefined; };

  /** `options.env`: extra environment for this worker process only (fault injection settings). */
  stack.startWorker = async ({ env: workerEnv = {} } = {}) => {
    // Info level for the worker: its "worker started" line is the readiness signal.
    stack.worker = await spawnApp('worker', workerEntry, async (output) => output().includes('worker started'), {
      extraEnv: { ...workerEnv, LOG_LEVEL: env.LOG_LEVEL ?? 'info' },
    });
  };
  /** SIGKILL by default: the crash a billing run must survive. */
  stack.killWorker = async (signal = 'SIGKILL') => {
    await stopChild(stack.worker, { signal, graceMs: 30_000 });
    stack.worker = undefined;
  };

  stack.startApi = async () => {
    stack.apiProcess = await spawnApp('api', 'api/main.ts', () => waitForPort(apiPort, { timeoutMs: 500 }).then(() => true, () => false));
  };
  stack.stopApi = async () => { await stopChild(stack.apiProcess, { graceMs: 10_000 }); stack.apiProcess = undefined; };

  /** A JSON call to the API with the admin key; resolves with { status, body }. */
  stack.call = async (method, path, body, headers = {}) => {
    const response = await fetch(stack.apiUrl + path, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };

  /** Runs SQL on the stack's database with the `pg` client; resolves with the rows. */
  stack.sql = async (query, params = []) => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: stack.postgres.url });
    await client.connect();
    try {
      return (await client.query(query, params)).rows;
    } finally {
      await client.end();
    }
  };

  stack.stop = async () => {
    await stack.stopApi().catch(() => {});
    await stopChild(stack.worker, { graceMs: 20_000 }).catch(() => {});
    await stack.stopTemporal().catch(() => {});
    await stack.stopPostgres().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await Promise.all([stack.startPostgres(), stack.startTemporal()]);
    const migrated = await capture(process.execPath, ['--import', 'tsx', 'db/migrate.ts'], { cwd: ROOT, env: appEnv() });
    if (migrated.code !== 0) throw new Error(`migrations failed:\n${tail(migrated.stderr + migrated.stdout, 30)}`);
    await stack.startWorker();
    if (api) await stack.startApi();
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}
