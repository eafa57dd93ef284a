// A throwaway copy of the whole stack for benchmarks and fault injection: PostgreSQL, Temporal (the dev
// server on an SQLite file, or with engine 'server' the Temporal server on the same PostgreSQL),
// migrations, then the worker(s) and the API as child processes, exactly as `npm start` runs them,
// with handles to kill, restart or stop each part while a run is in flight.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropDatabase, startPostgres } from '../../scripts/lib/postgres.mjs';
import { findFreePort, waitForPort } from '../../scripts/lib/ports.mjs';
import { capture, isRunning, stopChild, tail } from '../../scripts/lib/proc.mjs';
import { startTemporalDevServer } from '../../scripts/lib/temporal.mjs';
import { ensureTemporalServer, prepareTemporalServer, serverFiles, startTemporalServer } from '../../scripts/lib/temporal-server.mjs';
import { SERVER_MAX_CONNECTIONS, TEMPORAL_DATABASES, freePorts } from '../../scripts/lib/temporal-server-config.mjs';
import { ROOT, ensureTools } from '../../scripts/lib/tools.mjs';
import { sqliteBytes } from './process-stats.mjs';

/**
 * @param {object} [options]
 * @param {string} [options.workerEntry]  TypeScript entry of the worker process (default worker/main.ts)
 * @param {Record<string,string>} [options.env]  extra environment for the worker and the API
 * @param {boolean} [options.api]  start the API too (default true)
 * @param {'dev'|'server'} [options.engine]  Temporal dev server on SQLite (default), or the Temporal server on PostgreSQL
 * @param {number} [options.workers]  worker processes (default 1); `stack.worker` is the first, the rest are `stack.extraWorkers`
 * @param {(msg: string) => void} [options.log]
 */
export async function startStack({ workerEntry = 'worker/main.ts', env = {}, api = true, engine = 'dev', workers = 1, log = () => {} } = {}) {
  const tools = await ensureTools({ log });
  const serverBinaries = engine === 'server' ? await ensureTemporalServer({ log }) : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'billing-stack-'));
  const pgPort = await findFreePort();
  const serverPorts = engine === 'server' ? await freePorts() : undefined;
  const temporalPort = serverPorts?.frontend ?? await findFreePort();
  const apiPort = await findFreePort();
  const temporalDbFile = join(dir, 'temporal.db');
  const stackId = randomBytes(4).toString('hex');
  const adminKey = `bk_${randomBytes(24).toString('base64url')}`;
  // The API and the worker refuse to start without it (hosted invoice links); one per throwaway stack.
  const linkSigningSecret = randomBytes(48).toString('base64url');
  const pgOptions = {
    dataDir: join(dir, 'postgres'),
    port: pgPort,
    persistent: true,
    database: 'billing',
    throwaway: true,
    // The Temporal server's connection pools (one per service) share this PostgreSQL with the app.
    ...(engine === 'server' ? { maxConnections: SERVER_MAX_CONNECTIONS } : {}),
    log,
  };

  const stack = {
    dir,
    engine,
    adminKey,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    temporalDbFile,
    postgres: undefined,
    temporal: undefined,
    worker: undefined,
    extraWorkers: [],
    apiProcess: undefined,
  };
  let serverPrepared; // the server's databases are migrated and its config written once per stack
  let serverDatabases = TEMPORAL_DATABASES;

  const appEnv = () => ({
    ...process.env,
    DATABASE_URL: stack.postgres.url,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: 'billing',
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    ADMIN_API_KEY: adminKey,
    LINK_SIGNING_SECRET: linkSigningSecret,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // The benchmarks measure throughput, not the abuse limits: one key reads far above 100 req/s.
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000',
    ...env,
  });

  /** Spawns a TypeScript entry with tsx's loader (and `nodeArgs`, e.g. the profiler's); resolves once `ready(output)` holds. */
  async function spawnApp(name, file, ready, { timeoutMs = 120_000, extraEnv = {}, nodeArgs = [] } = {}) {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', file], {
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
    if (engine !== 'server') {
      stack.temporal = await startTemporalDevServer({ cli: tools.temporalCli, port: temporalPort, dbFile: temporalDbFile, log });
      return;
    }
    if (!serverPrepared) {
      // On a PostgreSQL of the caller's (DATABASE_URL), databases of this stack's own, dropped at stop.
      if (stack.postgres.external) serverDatabases = { default: `temporal_${stackId}`, visibility: `temporal_visibility_${stackId}` };
      serverPrepared = await prepareTemporalServer({
        binaries: serverBinaries,
        databaseUrl: stack.postgres.url,
        ports: serverPorts,
        configFile: serverFiles(dir).configFile,
        databases: serverDatabases,
        log,
      });
    }
    stack.temporal = await startTemporalServer({ binaries: serverBinaries, cli: tools.temporalCli, prepared: serverPrepared, log });
  };
  stack.stopTemporal = async () => { await stack.temporal?.stop(); stack.temporal = undefined; };

  /** Bytes of Temporal's persisted state: the SQLite file set, or the server's two databases. */
  stack.temporalStateBytes = async () => {
    if (engine !== 'server') return sqliteBytes(temporalDbFile);
    const [row] = await stack.sql('select (pg_database_size($1) + pg_database_size($2))::bigint as bytes', [serverDatabases.default, serverDatabases.visibility]);
    return Number(row.bytes);
  };

  /** `options.env`: extra environment for this worker process only (fault injection settings). */
  stack.startWorker = async ({ env: workerEnv = {} } = {}) => {
    // Info level for the worker: its "worker started" line is the readiness signal.
    stack.worker = await spawnApp('worker', workerEntry, async (output) => output().includes('worker started'), {
      extraEnv: { ...workerEnv, LOG_LEVEL: env.LOG_LEVEL ?? 'info' },
    });
  };
  /** Workers beyond the first (bench `--workers`): same entry and settings, on the same task queue. */
  stack.startExtraWorkers = async () => {
    for (let i = stack.extraWorkers.length + 2; i <= workers; i++) {
      stack.extraWorkers.push(await spawnApp(`worker ${i}`, workerEntry, async (output) => output().includes('worker started'), {
        extraEnv: { LOG_LEVEL: env.LOG_LEVEL ?? 'info' },
      }));
    }
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
    await Promise.all([stack.worker, ...stack.extraWorkers].map((child) => stopChild(child, { graceMs: 20_000 }).catch(() => {})));
    await stack.stopTemporal().catch(() => {});
    if (serverPrepared && stack.postgres?.external) {
      for (const name of Object.values(serverDatabases)) await dropDatabase(stack.postgres.url, name).catch(() => {});
    }
    await stack.stopPostgres().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };

  try {
    // The server keeps its state in this PostgreSQL, so it starts after it; the dev server alongside.
    if (engine === 'server') {
      await stack.startPostgres();
      await stack.startTemporal();
    } else {
      await Promise.all([stack.startPostgres(), stack.startTemporal()]);
    }
    const migrated = await capture(process.execPath, ['--import', 'tsx', 'db/migrate.ts'], { cwd: ROOT, env: appEnv() });
    if (migrated.code !== 0) throw new Error(`migrations failed:\n${tail(migrated.stderr + migrated.stdout, 30)}`);
    await stack.startWorker();
    await stack.startExtraWorkers();
    if (api) await stack.startApi();
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}
