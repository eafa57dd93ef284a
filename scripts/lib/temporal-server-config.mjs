// What the Temporal server on PostgreSQL is given: its ports, its config file (the shape of the
// server module's config/development-postgres12.yaml, on the project's PostgreSQL and credentials)
// and the SQL tool's arguments that create and migrate its two databases. Pure functions, Node
// built-ins only, so they can be checked without building the server.
import net from 'node:net';

/** The server's own databases, beside the billing one on the same PostgreSQL (as docker-compose.yml has them). */
export const TEMPORAL_DATABASES = Object.freeze({ default: 'temporal', visibility: 'temporal_visibility' });

/** Frontend gRPC port of `npm start`'s server: off the dev server's 7233, so both can run on one machine. */
export const DEFAULT_SERVER_PORT = 7433;

// The server records its services' ports in a SMALLINT column (cluster_membership.rpc_port): one
// above 32767 makes it exit at start ("out of range for type smallint"). The OS hands out free ports
// from its ephemeral range (32768 and up on Linux), so throwaway stacks pick a block below that.
export const MAX_SERVER_PORT = 32767;
const THROWAWAY_RANGE = [20000, MAX_SERVER_PORT];

/** The SQL tool's embedded schemas (the module's schema/postgresql/v12/{temporal,visibility}/versioned). */
const SCHEMAS = Object.freeze({ default: 'postgresql/v12/temporal', visibility: 'postgresql/v12/visibility' });
const PLUGIN = 'postgres12';
// Fixed when the `temporal` database is first set up: the server refuses to start with another count.
const HISTORY_SHARDS = 4;
// As docker-compose.yml's server (auto-setup's SQL_MAX_CONNS / SQL_VIS_MAX_CONNS defaults). Every
// service of the one process keeps its own pool, so PostgreSQL needs max_connections to match.
const MAX_CONNS = { default: 20, visibility: 10 };
/**
 * max_connections of an embedded PostgreSQL that also holds the server: its four services' pools at
 * their fullest (4 x (20 + 10)), plus the API's and the workers' pools (10 each) and headroom.
 */
export const SERVER_MAX_CONNECTIONS = 250;

const PORT_NAMES = Object.freeze([
  'frontend', 'frontendHttp', 'frontendMembership',
  'history', 'historyMembership',
  'matching', 'matchingMembership',
  'worker', 'workerMembership',
]);

/** The nine ports of one server, from `frontend` upwards (npm start: predictable, documented). */
export function consecutivePorts(frontend = DEFAULT_SERVER_PORT) {
  if (!Number.isInteger(frontend) || frontend < 1 || frontend + PORT_NAMES.length - 1 > MAX_SERVER_PORT) {
    throw new Error(`the Temporal server needs ${PORT_NAMES.length} ports from ${frontend}, all at most ${MAX_SERVER_PORT}: `
      + `pick a frontend port between 1 and ${MAX_SERVER_PORT + 1 - PORT_NAMES.length}`);
  }
  return Object.fromEntries(PORT_NAMES.map((name, i) => [name, frontend + i]));
}

/** Nine consecutive ports below 32768 that are free right now (throwaway stacks in bench and chaos). */
export async function freePorts(host = '127.0.0.1', random = Math.random) {
  const [low, high] = THROWAWAY_RANGE;
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = low + Math.floor(random() * (high - low - PORT_NAMES.length + 2));
    const ports = consecutivePorts(base);
    let free = true;
    for (const port of allPorts(ports)) {
      if (!(await canListen(port, host))) {
        free = false;
        break;
      }
    }
    if (free) return ports;
  }
  throw new Error(`no ${PORT_NAMES.length} consecutive free ports between ${low} and ${high} for the Temporal server`);
}

function canListen(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Every port of `ports`, in a stable order (to check they are free). */
export function allPorts(ports) {
  return PORT_NAMES.map((name) => ports[name]);
}

/**
 * Host, port, user, password and connect attributes of the PostgreSQL server behind `databaseUrl`
 * (the embedded cluster's URL, or DATABASE_URL). The database name in the URL is the billing one and
 * is not used: the server has databases of its own.
 */
export function postgresServerOf(databaseUrl) {
  let url;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error('the PostgreSQL URL for the Temporal server cannot be parsed (DATABASE_URL?)');
  }
  if (!/^postgres(ql)?:$/.test(url.protocol)) throw new Error(`the Temporal server needs a postgres:// URL, got ${url.protocol}//`);
  const attributes = {};
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode) attributes.sslmode = sslmode;
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || 'postgres',
    password: decodeURIComponent(url.password),
    connectAttributes: attributes,
  };
}

/**
 * The server's configuration as an object (rendered by `renderYaml`).
 * @param {object} options
 * @param {ReturnType<typeof postgresServerOf>} options.postgres
 * @param {Record<string, number>} options.ports  from consecutivePorts() or freePorts()
 * @param {{ default: string, visibility: string }} [options.databases]
 * @param {string} [options.logLevel]
 */
export function buildServerConfig({ postgres, ports, databases = TEMPORAL_DATABASES, logLevel = 'warn' }) {
  for (const name of PORT_NAMES) if (!Number.isInteger(ports[name])) throw new Error(`Temporal server port "${name}" is missing`);
  const host = '127.0.0.1';
  const store = (databaseName, maxConns) => ({
    sql: {
      pluginName: PLUGIN,
      databaseName,
      connectAddr: `${postgres.host.includes(':') ? `[${postgres.host}]` : postgres.host}:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.user,
      password: postgres.password,
      ...(Object.keys(postgres.connectAttributes ?? {}).length ? { connectAttributes: postgres.connectAttributes } : {}),
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort, membershipPort, extra = {}) => ({ rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra } });
  const archivalOff = { history: { state: 'disabled' }, visibility: { state: 'disabled' } };
  return {
    log: { stdout: true, level: logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: HISTORY_SHARDS,
      datastores: {
        'postgres-default': store(databases.default, MAX_CONNS.default),
        'postgres-visibility': store(databases.visibility, MAX_CONNS.visibility),
      },
    },
    // No metrics and no pprof section: neither listens, so no port beyond the nine is taken.
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: host } },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      matching: service(ports.matching, ports.matchingMembership),
      history: service(ports.history, ports.historyMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `${host}:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    // The development config archives to /tmp; nothing here reads archives.
    archival: archivalOff,
    namespaceDefaults: { archival: archivalOff },
  };
}

/**
 * YAML for the config object: maps and scalars only, every string double-quoted (JSON string syntax
 * is valid YAML), so a password with `:` or `#` stays a string.
 */
export function renderYaml(value, indent = 0) {
  const pad = ' '.repeat(indent);
  const scalar = (v) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  return Object.entries(value).map(([key, v]) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      return Object.keys(v).length ? `${pad}${key}:\n${renderYaml(v, indent + 2)}` : `${pad}${key}: {}`;
    }
    if (Array.isArray(v) || v === undefined || v === null) throw new Error(`renderYaml: unsupported value at "${key}"`);
    return `${pad}${key}: ${scalar(v)}`;
  }).join('\n');
}

/** The config file's text. */
export function serverConfigYaml(options) {
  return `# Temporal server on PostgreSQL, written by scripts/lib/temporal-server.mjs on every start.\n${renderYaml(buildServerConfig(options))}\n`;
}

/**
 * The SQL tool runs that create the two databases (a no-op when they exist), set up the schema
 * version tables and apply every versioned schema update not applied yet: safe on every start.
 * Each run: { args, env } (the password goes through the environment, not the command line).
 */
export function schemaSetupRuns({ postgres, databases = TEMPORAL_DATABASES }) {
  const runs = [];
  for (const kind of ['default', 'visibility']) {
    const connection = [
      '--endpoint', postgres.host,
      '--port', String(postgres.port),
      '--user', postgres.user,
      '--database', databases[kind],
      '--plugin', PLUGIN,
      ...(Object.keys(postgres.connectAttributes ?? {}).length
        ? ['--connect-attributes', new URLSearchParams(postgres.connectAttributes).toString()]
        : []),
    ];
    runs.push(
      [...connection, 'create-database'],
      [...connection, 'setup-schema', '--version', '0.0'],
      [...connection, 'update-schema', '--schema-name', SCHEMAS[kind]],
    );
  }
  return runs.map((args) => ({ args, env: { SQL_PASSWORD: postgres.password } }));
}

export const ENGINES = Object.freeze(['dev', 'server']);

/** `dev` (temporal server start-dev on SQLite, the default) or `server` (the Temporal server on PostgreSQL). */
export function parseEngine(raw, source = 'TEMPORAL_ENGINE') {
  const value = (raw ?? '').trim() || 'dev';
  if (!ENGINES.includes(value)) throw new Error(`${source} must be ${ENGINES.join(' or ')}, got "${raw}"`);
  return value;
}

/** The server's command line. */
export function serverArgs(configFile) {
  return ['--config-file', configFile, '--allow-no-auth', 'start'];
}
