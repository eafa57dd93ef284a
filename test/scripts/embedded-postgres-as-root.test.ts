/**
 * As root, embedded PostgreSQL runs as the `postgres` user, which cannot enter a clone inside a
 * mode-700 folder (`mktemp -d`, root's home): initdb failed with EACCES. scripts/lib/postgres.mjs now
 * runs the binaries from a root-owned, world-readable copy and moves a data directory that user cannot
 * reach. Started here as `npm start` and the tests start it, in a child process (the module is ESM).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const asRoot = process.getuid?.() === 0;

/** Every folder from / down to `path`'s parent can be entered by other users. */
function reachableByOthers(path: string): boolean {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === '/') return true;
  }
}

(asRoot ? test : test.skip)('as root, with its data directory inside a mode-700 folder, embedded PostgreSQL starts from binaries the postgres user can reach', () => {
  const privateDir = mkdtempSync(join(tmpdir(), 'billing-private-')); // mode 700, like mktemp -d
  writeFileSync(join(privateDir, 'README'), 'a clone would be here\n'); // not a folder made for the cluster alone
  try {
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
    const script = `
      const { startPostgres } = await import(${JSON.stringify(join(ROOT, 'scripts/lib/postgres.mjs'))});
      const { findFreePort } = await import(${JSON.stringify(join(ROOT, 'scripts/lib/ports.mjs'))});
      const { default: pg } = await import('pg');
      const cluster = await startPostgres({ dataDir: ${JSON.stringify(join(privateDir, 'data'))}, port: await findFreePort(), persistent: false, throwaway: true, database: 'probe' });
      const client = new pg.Client({ connectionString: cluster.url });
      await client.connect();
      const { rows } = await client.query("select pg_backend_pid() as pid, current_setting('data_directory') as data");
      const { readlinkSync } = await import('node:fs');
      console.log(JSON.stringify({ exe: readlinkSync('/proc/' + rows[0].pid + '/exe'), data: rows[0].data }));
      await client.end();
      await cluster.stop();`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 90_000, env: { ...process.env, DATABASE_URL: '' } });
    expect(run.stderr).not.toMatch(/EACCES/);
    if (run.status !== 0) throw new Error(`the PostgreSQL probe exited ${run.status}:\n${run.stderr}`);
    const { exe, data } = JSON.parse(run.stdout.trim().split('\n').pop()!) as { exe: string; data: string };
    expect(exe).toMatch(/\/bin\/postgres$/);
    expect(exe.startsWith(realpathSync(join(ROOT, 'node_modules')))).toBe(false); // not the copy inside the clone
    expect(reachableByOthers(exe)).toBe(true);
    expect(data.startsWith(privateDir)).toBe(false);
    expect(reachableByOthers(data)).toBe(true);
  } finally {
    rmSync(privateDir, { recursive: true, force: true });
  }
});
