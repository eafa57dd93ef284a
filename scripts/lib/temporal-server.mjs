// The production engine without Docker: the Temporal server (frontend, history, matching and worker
// services in one process) persisting to the project's PostgreSQL, in databases `temporal` and
// `temporal_visibility` beside the billing one, as docker-compose.yml arranges it. Used by
// `TEMPORAL_ENGINE=server npm start` and by `--engine server` in the bench and chaos runs.
//   1. ensureTemporalServer (temporal-server-build.mjs) builds the binaries once;
//   2. prepareTemporalServer creates and migrates the two databases with the SQL tool and writes the
//      config file;
//   3. startTemporalServer runs it, waits for the frontend, registers the namespace and the billing
//      search attributes, and returns a handle whose stop() shuts it down cleanly (SIGTERM).
// Node built-ins only.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isPortOpen, waitForPort } from './ports.mjs';
import { capture, isRunning, stopChild, tail } from './proc.mjs';
import { SEARCH_ATTRIBUTES } from './temporal.mjs';
import { TEMPORAL_DATABASES, allPorts, postgresServerOf, schemaSetupRuns, serverArgs, serverConfigYaml } from './temporal-server-config.mjs';

export { ensureTemporalServer } from './temporal-server-build.mjs';

const HOST = '127.0.0.1';
// Closed workflows are kept as long as docker-compose.yml keeps them (TEMPORAL_RETENTION's default).
const RETENTION = '720h';
// The server refreshes its namespace cache every 2 s (system.namespaceCacheRefreshInterval): a
// namespace or search attribute registered just now is known to every service after that.
const NAMESPACE_CACHE_REFRESH_MS = 2_500;

/**
 * Creates and migrates the server's databases (idempotent) and writes its config file (mode 600: it
 * holds the database password).
 * @param {object} options
 * @param {{ sqlTool: string }} options.binaries
 * @param {string} options.databaseUrl  the billing database's URL: the server uses the same PostgreSQL server and user
 * @param {Record<string, number>} options.ports
 * @param {string} options.configFile
 * @param {{ default: string, visibility: string }} [options.databases]
 * @param {(msg: string) => void} [options.log]
 * @returns {Promise<{ configFile: string, ports: Record<string, number> }>}
 */
export async function prepareTemporalServer({ binaries, databaseUrl, ports, configFile, databases = TEMPORAL_DATABASES, log = () => {} }) {
  const postgres = postgresServerOf(databaseUrl);
  const started = Date.now();
  for (const { args, env } of schemaSetupRuns({ postgres, databases })) {
    const result = await capture(binaries.sqlTool, args, { env: { ...process.env, ...env } });
    if (result.code !== 0) {
      throw new Error(`the Temporal SQL tool failed (${args.slice(-3).join(' ')} on ${args[args.indexOf('--database') + 1]}):\n`
        + `${tail(result.stderr || result.stdout, 20)}\nThe PostgreSQL user must be allowed to create databases.`);
    }
  }
  log(`databases ${databases.default} and ${databases.visibility} migrated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  mkdirSync(dirname(configFile), { recursive: true });
  await writeFile(configFile, serverConfigYaml({ postgres, ports, databases }), { mode: 0o600 });
  await chmod(configFile, 0o600); // an existing file keeps its mode on writeFile
  return { configFile, ports };
}

/**
 * @param {object} options
 * @param {{ server: string }} options.binaries
 * @param {string} options.cli          the Temporal CLI (registers the namespace and search attributes)
 * @param {{ configFile: string, ports: Record<string, number> }} options.prepared  from prepareTemporalServer
 * @param {string} [options.namespace]
 * @param {string} [options.logFile]    the server's output is appended there; otherwise only a tail is kept for errors
 * @param {(msg: string) => void} [options.log]
 * @returns {Promise<{ name: string, address: string, uiUrl: undefined, pid: number, child: import('node:child_process').ChildProcess, stop(): Promise<void> }>}
 */
export async function startTemporalServer({ binaries, cli, prepared, namespace = 'default', logFile, log = () => {}, timeoutMs = 120_000 }) {
  const { configFile, ports } = prepared;
  for (const port of allPorts(ports)) {
    // A port in use would make the server exit, or worse, the wait below succeed against another server.
    if (await isPortOpen(port, HOST)) {
      throw new Error(`Temporal server port ${HOST}:${port} is already in use (it needs ${allPorts(ports).join(', ')}; an earlier run still up?). `
        + 'Stop whatever holds it, or move the server with TEMPORAL_PORT (it takes that port and the next eight).');
    }
  }

  log(`starting the Temporal server on ${HOST}:${ports.frontend} (state in PostgreSQL)`);
  const started = Date.now();
  const child = spawn(binaries.server, serverArgs(configFile), { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collectOutput(child, logFile);
  let spawnError;
  child.once('error', (error) => { spawnError = error; });
  // Safety net: never leave the server behind if this process exits without calling stop().
  const killOnExit = () => { if (isRunning(child)) child.kill('SIGTERM'); };
  process.once('exit', killOnExit);
  const address = `${HOST}:${ports.frontend}`;
  const check = () => {
    if (spawnError) throw spawnError;
    if (!isRunning(child)) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
  };

  try {
    const deadline = Date.now() + timeoutMs;
    await waitForPort(ports.frontend, { host: HOST, timeoutMs, check });
    await until(deadline, check, async () => (await temporal(cli, ['operator', 'cluster', 'health'], address)).stdout.includes('SERVING'));
    const registered = await registerNamespace({ cli, address, namespace, deadline, check, log });
    if (registered) await sleep(NAMESPACE_CACHE_REFRESH_MS);
    if (await registerSearchAttributes({ cli, address, namespace, deadline, check, log })) await sleep(NAMESPACE_CACHE_REFRESH_MS);
  } catch (error) {
    await stopChild(child, { graceMs: 5_000 });
    process.removeListener('exit', killOnExit);
    output.close();
    throw new Error(`Temporal server (${binaries.server}) did not start on ${address}: ${error.message}\n`
      + `--- last output ---\n${tail(output.text(), 30) || '(none)'}`);
  }
  log(`Temporal server up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  return {
    name: 'Temporal server',
    address,
    uiUrl: undefined,
    pid: child.pid,
    child,
    /** SIGTERM (the server drains and closes its connections), wait for exit; SIGKILL after 20 s. */
    async stop() {
      await stopChild(child, { signal: 'SIGTERM', graceMs: 20_000 });
      process.removeListener('exit', killOnExit);
      output.close();
    },
  };
}

/** Creates `namespace` unless it exists; true when it created it. */
async function registerNamespace({ cli, address, namespace, deadline, check, log }) {
  let created = false;
  await until(deadline, check, async () => {
    if ((await temporal(cli, ['operator', 'namespace', 'describe', '--namespace', namespace], address)).code === 0) return true;
    const result = await temporal(cli, ['operator', 'namespace', 'create', '--namespace', namespace, '--retention', RETENTION], address);
    if (result.code !== 0) return false; // the frontend may not serve namespace calls yet: retry
    log(`registered namespace ${namespace} (retention ${RETENTION})`);
    created = true;
    return true;
  });
  return created;
}

/** Registers the billing search attributes missing from `namespace` (the same ones the dev server gets); true when it added any. */
async function registerSearchAttributes({ cli, address, namespace, deadline, check, log }) {
  let added = false;
  await until(deadline, check, async () => {
    const list = await temporal(cli, ['operator', 'search-attribute', 'list', '--namespace', namespace, '--output', 'json'], address);
    if (list.code !== 0) return false;
    const known = new Set(searchAttributeNames(list.stdout));
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !known.has(name));
    if (!missing.length) return true;
    const args = ['operator', 'search-attribute', 'create', '--namespace', namespace];
    for (const [name, type] of missing) args.push('--name', name, '--type', type);
    if ((await temporal(cli, args, address)).code !== 0) return false;
    log(`registered search attributes ${missing.map(([name, type]) => `${name} (${type})`).join(', ')}`);
    added = true;
    return false; // list again: done once every one shows
  });
  return added;
}

/** Names in `temporal operator search-attribute list --output json` (custom and system attributes). */
export function searchAttributeNames(json) {
  try {
    const parsed = JSON.parse(json);
    return [...Object.keys(parsed.customAttributes ?? {}), ...Object.keys(parsed.systemAttributes ?? {})];
  } catch {
    return [];
  }
}

function temporal(cli, args, address) {
  return capture(cli, [...args, '--address', address, '--command-timeout', '5s']);
}

async function until(deadline, check, attempt) {
  for (;;) {
    check();
    if (await attempt()) return;
    if (Date.now() > deadline) throw new Error('the frontend did not become ready in time');
    await sleep(500);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Keeps the last ~64 KiB of the server's output for error messages, and appends all of it to logFile. */
function collectOutput(child, logFile) {
  let buffer = '';
  let file;
  if (logFile) {
    mkdirSync(dirname(logFile), { recursive: true });
    file = createWriteStream(logFile, { flags: 'a' });
    file.on('error', () => { file = undefined; }); // a log file problem must not take the server down
    file.write(`\n--- temporal server, ${new Date().toISOString()} ---\n`);
  }
  const onData = (chunk) => {
    buffer = (buffer + chunk).slice(-65_536);
    file?.write(chunk);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return { text: () => buffer, close: () => file?.end() };
}

/** Where the config file and the server's log go under a data folder. */
export function serverFiles(dir) {
  return { configFile: join(dir, 'temporal-server.yaml'), logFile: join(dir, 'temporal-server.log') };
}
