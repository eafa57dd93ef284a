// Jest globalSetup (runs once, in Jest's parent process, before any test file):
//   - the native tools (fast when `npm test` already installed them),
//   - a throwaway PostgreSQL: an embedded cluster in a temp dir on a free port, or, when DATABASE_URL
//     is set, a fresh `billing_test_<timestamp>` database on that server,
//   - an in-memory Temporal dev server on free ports (started once here: the SDK's own launcher
//     gives a server only 5 s, too little on 2 busy cores),
//   - migrations,
//   - the workflow bundle, once for every test file (workflow-bundle.mjs).
// Test files read DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_CLI_PATH, TEMPORAL_TEST_SERVER_PATH,
// STRIPE_MOCK_PATH, SCHEMATHESIS_PATH and BILLING_TEST_WORKFLOW_BUNDLE from process.env (Jest workers inherit it). Handles stay
// on globalThis for teardown.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, dropDatabase, startPostgres } from '../../scripts/lib/postgres.mjs';
import { findFreePort } from '../../scripts/lib/ports.mjs';
import { capture, tail } from '../../scripts/lib/proc.mjs';
import { startTemporalDevServer } from '../../scripts/lib/temporal.mjs';
import { ROOT, ensureTools } from '../../scripts/lib/tools.mjs';
import { WORKFLOW_BUNDLE_ENV, bundleWorkflowsOnce } from './workflow-bundle.mjs';

const log = (message) => console.error(`[test-setup] ${message}`);
// Read once, at first import: setup overwrites DATABASE_URL, and `jest --watch` runs setup again in
// the same process (the module stays cached), which must not mistake our own URL for the user's.
const EXTERNAL_DATABASE_URL = process.env.DATABASE_URL;

export default async function globalSetup() {
  const started = Date.now();
  const tools = await ensureTools({ log });
  process.env.TEMPORAL_CLI_PATH = tools.temporalCli;
  process.env.TEMPORAL_TEST_SERVER_PATH = tools.temporalTestServer;
  process.env.STRIPE_MOCK_PATH = tools.stripeMock;
  process.env.SCHEMATHESIS_PATH = tools.schemathesis;

  const stack = { postgres: undefined, temporal: undefined, bundle: undefined, signalHandlers: [] };
  globalThis.__billingTestStack = stack;
  stopOnSignals(stack);
  try {
    // Independent: all three at once (the servers mostly wait on their own processes, bundling is CPU here).
    const [postgres, temporal, bundle] = await Promise.allSettled([
      startTestDatabase(),
      startTemporal(tools.temporalCli),
      bundleWorkflowsOnce({ log }),
    ]);
    if (postgres.status === 'fulfilled') stack.postgres = postgres.value;
    if (temporal.status === 'fulfilled') stack.temporal = temporal.value;
    if (bundle.status === 'fulfilled') stack.bundle = bundle.value;
    for (const result of [postgres, temporal, bundle]) if (result.status === 'rejected') throw result.reason;

    process.env.DATABASE_URL = stack.postgres.url;
    process.env.TEMPORAL_ADDRESS = stack.temporal.address;
    process.env.TEMPORAL_NAMESPACE = 'default';
    process.env[WORKFLOW_BUNDLE_ENV] = stack.bundle.codePath;
    await migrate(stack.postgres.url);
  } catch (error) {
    // Jest skips globalTeardown when globalSetup fails: clean up here.
    await stopTestStack(stack);
    throw error;
  }
  log(`PostgreSQL, Temporal ${stack.temporal.address}, migrations and the workflow bundle ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function startTestDatabase() {
  const external = EXTERNAL_DATABASE_URL;
  if (external) {
    const name = `billing_test_${Date.now()}`;
    const url = await createDatabase(external, name);
    log(`using a fresh database ${name} on the DATABASE_URL server`);
    return { url, stop: () => dropDatabase(external, name) };
  }
  const dir = await mkdtemp(join(tmpdir(), 'billing-test-pg-'));
  const cluster = await startPostgres({
    dataDir: join(dir, 'data'),
    port: await findFreePort(),
    persistent: false,
    throwaway: true,
    database: 'billing_test',
  }).catch(async (error) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    url: cluster.url,
    stop: async () => {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startTemporal(cli) {
  return startTemporalDevServer({ cli, port: await findFreePort(), uiPort: null });
}

async function migrate(databaseUrl) {
  const script = join(ROOT, 'db', 'migrate.ts');
  if (!existsSync(script)) {
    log('WARNING: db/migrate.ts does not exist yet; tests run against an empty database');
    return;
  }
  // tsx's loader inside node: the same way `npm start` runs it.
  const result = await capture(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: process.env.LOG_LEVEL || 'warn' },
  });
  if (result.code !== 0) {
    throw new Error(`db/migrate.ts failed (exit ${result.code ?? result.signal}):\n${tail(result.stderr + result.stdout, 40)}`);
  }
}

export async function stopTestStack(stack) {
  // Temporal first: nothing in it needs the database, and tests are done with both.
  await stack.temporal?.stop().catch((error) => log(`stopping Temporal: ${error.message}`));
  await stack.postgres?.stop().catch((error) => log(`stopping PostgreSQL: ${error.message}`));
  await stack.bundle?.stop().catch((error) => log(`removing the workflow bundle: ${error.message}`));
  stack.temporal = undefined;
  stack.postgres = undefined;
  stack.bundle = undefined;
  for (const [signal, handler] of stack.signalHandlers ?? []) process.removeListener(signal, handler);
}

/**
 * A SIGTERM/SIGINT/SIGHUP to Jest would end it without running 'exit' listeners (Jest installs no
 * handlers of its own), leaving both servers behind: stop them, then exit as the signal would have.
 */
function stopOnSignals(stack) {
  stack.signalHandlers = [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]].map(([signal, number]) => {
    const handler = async () => {
      log(`${signal}: stopping PostgreSQL and Temporal`);
      await stopTestStack(stack);
      process.exit(128 + number);
    };
    process.once(signal, handler);
    return [signal, handler];
  });
}
