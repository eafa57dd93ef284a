/**
 * What `TEMPORAL_ENGINE=server` and `--engine server` hand the Temporal server and its SQL tool:
 * ports off the dev server's, the project's PostgreSQL credentials, the `temporal` and
 * `temporal_visibility` databases. Checked on the functions that write them, without building the
 * server (that takes minutes; it happens only when the server engine is asked for). The modules are
 * ESM, so they run in a child process.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const CONFIG_MODULE = join(ROOT, 'scripts/lib/temporal-server-config.mjs');
const BUILD_MODULE = join(ROOT, 'scripts/lib/temporal-server-build.mjs');

/** Runs `body` (an async function body with `config` and `build` in scope) and returns what it returns, as JSON. */
function evaluate<T>(body: string): T {
  const script = `
    const config = await import(${JSON.stringify(CONFIG_MODULE)});
    const build = await import(${JSON.stringify(BUILD_MODULE)});
    const result = await (async () => { ${body} })();
    process.stdout.write(JSON.stringify(result));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`child failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

type Sql = { databaseName: string; connectAddr: string; user: string; password: string; pluginName: string; connectAttributes?: Record<string, string> };
type Rpc = { grpcPort: number; membershipPort: number; httpPort?: number; bindOnLocalHost: boolean };
type ServerConfig = {
  persistence: { defaultStore: string; visibilityStore: string; numHistoryShards: number; datastores: Record<string, { sql: Sql }> };
  services: Record<'frontend' | 'history' | 'matching' | 'worker', { rpc: Rpc }>;
  clusterMetadata: { clusterInformation: { active: { rpcAddress: string } } };
  global: Record<string, unknown>;
};

/** The SQL settings of the config's default or visibility store. */
function sqlOf(cfg: ServerConfig, which: 'defaultStore' | 'visibilityStore'): Sql {
  const store = cfg.persistence.datastores[cfg.persistence[which]];
  if (!store) throw new Error(`no datastore named by ${which}`);
  return store.sql;
}

describe('Temporal server on PostgreSQL: config and SQL tool arguments', () => {
  const url = 'postgres://postgres:postgres@127.0.0.1:5433/billing';

  test('npm start: the server takes 7433 and the next eight ports, none of the dev server\'s', () => {
    const ports = evaluate<Record<string, number>>('return config.consecutivePorts(config.DEFAULT_SERVER_PORT);');
    expect(ports).toEqual({
      frontend: 7433, frontendHttp: 7434, frontendMembership: 7435,
      history: 7436, historyMembership: 7437,
      matching: 7438, matchingMembership: 7439,
      worker: 7440, workerMembership: 7441,
    });
    // The dev server's gRPC and UI ports, and the server's own defaults (7233-7243, 6933-6939).
    for (const taken of [7233, 7234, 7235, 7239, 7243, 8233, 6933, 6934, 6935, 6939]) expect(Object.values(ports)).not.toContain(taken);
  });

  test('throwaway stacks get nine consecutive free ports below 32768 (the server keeps them in a SMALLINT column)', () => {
    const ports = evaluate<Record<string, number>>('return config.freePorts();');
    const values = Object.values(ports);
    const first = values[0] ?? 0;
    expect(values).toHaveLength(9);
    expect(first).toBe(ports.frontend);
    expect(Math.max(...values)).toBeLessThanOrEqual(32767);
    expect(values).toEqual(values.map((_, i) => first + i));
  });

  test('the config points both stores at the project\'s PostgreSQL with its credentials, and every service at its port', () => {
    const cfg = evaluate<ServerConfig>(`
      return config.buildServerConfig({ postgres: config.postgresServerOf(${JSON.stringify(url)}), ports: config.consecutivePorts(7433) });
    `);
    expect(sqlOf(cfg, 'defaultStore')).toMatchObject({
      pluginName: 'postgres12', databaseName: 'temporal', connectAddr: '127.0.0.1:5433', user: 'postgres', password: 'postgres',
    });
    expect(sqlOf(cfg, 'visibilityStore')).toMatchObject({
      pluginName: 'postgres12', databaseName: 'temporal_visibility', connectAddr: '127.0.0.1:5433', user: 'postgres', password: 'postgres',
    });
    expect(cfg.persistence.numHistoryShards).toBe(4);
    expect(cfg.services.frontend.rpc).toEqual({ grpcPort: 7433, httpPort: 7434, membershipPort: 7435, bindOnLocalHost: true });
    expect(cfg.services.history.rpc).toEqual({ grpcPort: 7436, membershipPort: 7437, bindOnLocalHost: true });
    expect(cfg.services.matching.rpc).toEqual({ grpcPort: 7438, membershipPort: 7439, bindOnLocalHost: true });
    expect(cfg.services.worker.rpc).toEqual({ grpcPort: 7440, membershipPort: 7441, bindOnLocalHost: true });
    expect(cfg.clusterMetadata.clusterInformation.active.rpcAddress).toBe('127.0.0.1:7433');
    // No metrics or pprof listener: nothing listens beyond the nine ports.
    expect(Object.keys(cfg.global)).toEqual(['membership']);
  });

  test('DATABASE_URL\'s server, user, password (decoded) and sslmode carry over; other database names are honoured', () => {
    const cfg = evaluate<ServerConfig>(`
      return config.buildServerConfig({
        postgres: config.postgresServerOf('postgresql://billing:p%40ss%3Aw%23rd@db.internal:6543/billing?sslmode=require'),
        ports: config.consecutivePorts(9000),
        databases: { default: 'temporal_x', visibility: 'temporal_visibility_x' },
      });
    `);
    expect(sqlOf(cfg, 'defaultStore')).toMatchObject({
      databaseName: 'temporal_x', connectAddr: 'db.internal:6543', user: 'billing', password: 'p@ss:w#rd', connectAttributes: { sslmode: 'require' },
    });
    expect(sqlOf(cfg, 'visibilityStore').databaseName).toBe('temporal_visibility_x');
  });

  test('the YAML file says the same, with strings quoted so a password with : or # stays whole', () => {
    const yaml = evaluate<string>(`
      return config.serverConfigYaml({ postgres: config.postgresServerOf('postgres://postgres:a%3A%20b%23c@127.0.0.1:5433/billing'), ports: config.consecutivePorts(7433) });
    `);
    expect(yaml).toContain('        databaseName: "temporal"\n');
    expect(yaml).toContain('        databaseName: "temporal_visibility"\n');
    expect(yaml).toContain('        connectAddr: "127.0.0.1:5433"\n');
    expect(yaml).toContain('        user: "postgres"\n');
    expect(yaml).toContain('        password: "a: b#c"\n');
    expect(yaml).toMatch(/ {2}frontend:\n {4}rpc:\n {6}grpcPort: 7433\n {6}membershipPort: 7435\n {6}bindOnLocalHost: true\n {6}httpPort: 7434\n/);
    expect(yaml).toContain('      rpcAddress: "127.0.0.1:7433"\n');
    // A config file with this marker would be rendered as a Go template by the server.
    expect(yaml).not.toContain('enable-template');
  });

  test('the SQL tool creates and migrates both databases from its embedded PostgreSQL v12 schemas, the password in its environment', () => {
    const runs = evaluate<Array<{ args: string[]; env: Record<string, string> }>>(`
      return config.schemaSetupRuns({ postgres: config.postgresServerOf(${JSON.stringify(url)}) });
    `);
    const connection = (database: string) => ['--endpoint', '127.0.0.1', '--port', '5433', '--user', 'postgres', '--database', database, '--plugin', 'postgres12'];
    expect(runs.map((r) => r.args)).toEqual([
      [...connection('temporal'), 'create-database'],
      [...connection('temporal'), 'setup-schema', '--version', '0.0'],
      [...connection('temporal'), 'update-schema', '--schema-name', 'postgresql/v12/temporal'],
      [...connection('temporal_visibility'), 'create-database'],
      [...connection('temporal_visibility'), 'setup-schema', '--version', '0.0'],
      [...connection('temporal_visibility'), 'update-schema', '--schema-name', 'postgresql/v12/visibility'],
    ]);
    for (const run of runs) {
      expect(run.env).toEqual({ SQL_PASSWORD: 'postgres' });
      expect(run.args).not.toContain('postgres:postgres');
      expect(run.args).not.toContain('--password');
    }
  });

  test('the server starts from that file without auth plugins, and the build is pinned to v1.31.2 in .tools', () => {
    const result = evaluate<{ args: string[]; plan: { packages: string[]; server: string; sqlTool: string } }>(`
      return { args: config.serverArgs('/data/temporal-server.yaml'), plan: build.buildPlan() };
    `);
    expect(result.args).toEqual(['--config-file', '/data/temporal-server.yaml', '--allow-no-auth', 'start']);
    expect(result.plan.packages).toEqual(['go.temporal.io/server/cmd/server@v1.31.2', 'go.temporal.io/server/cmd/tools/sql@v1.31.2']);
    expect(result.plan.server).toBe(join(ROOT, '.tools/temporal-server/bin/server'));
    expect(result.plan.sqlTool).toBe(join(ROOT, '.tools/temporal-server/bin/sql'));
  });

  test('the engine is dev unless asked for server; anything else is refused with the variable\'s name', () => {
    const result = evaluate<{ unset: string; empty: string; server: string; bad: string; tooHigh: string }>(`
      const fails = (fn) => { try { fn(); return 'no error'; } catch (error) { return error.message; } };
      return {
        unset: config.parseEngine(undefined),
        empty: config.parseEngine(''),
        server: config.parseEngine('server'),
        bad: fails(() => config.parseEngine('docker', '--engine')),
        tooHigh: fails(() => config.consecutivePorts(65530)),
      };
    `);
    expect(result).toMatchObject({ unset: 'dev', empty: 'dev', server: 'server' });
    expect(result.bad).toBe('--engine must be dev or server, got "docker"');
    expect(result.tooHigh).toMatch(/needs 9 ports from 65530, all at most 32767/);
  });
});
