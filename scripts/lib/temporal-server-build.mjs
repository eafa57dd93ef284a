// The Temporal server (all four services in one process) and its SQL tool, built once with
// `go install` from the Go module proxy the machine already uses (GOPROXY as configured; nothing is
// downloaded from anywhere else) into the git-ignored .tools/temporal-server/bin. A marker file holds
// the pinned version: changing the pin rebuilds on the next run, nothing else does.
// Needed only for TEMPORAL_ENGINE=server and `--engine server`: `npm start`, `npm test` and the
// benchmarks on the dev server never build it. Node built-ins only.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { capture, tail } from './proc.mjs';
import { TOOLS_DIR, checkOverride, isExecutableFile, readStamp, withLock } from './tools.mjs';

/** A release tag: tags carry no `replace` directive, which `go install pkg@version` refuses. */
export const TEMPORAL_SERVER_VERSION = 'v1.31.2';

const MODULE = 'go.temporal.io/server';
export const SERVER_DIR = join(TOOLS_DIR, 'temporal-server');
const BIN_DIR = join(SERVER_DIR, 'bin');
const MARKER = join(SERVER_DIR, 'version');

/** What `go install` is asked for, and where its binaries land (named after their package folders). */
export function buildPlan(version = TEMPORAL_SERVER_VERSION, binDir = BIN_DIR) {
  return {
    packages: [`${MODULE}/cmd/server@${version}`, `${MODULE}/cmd/tools/sql@${version}`],
    server: join(binDir, 'server'),
    sqlTool: join(binDir, 'sql'),
    binDir,
  };
}

/**
 * The server and SQL tool binaries, built on first use (about 7 minutes on 2 cores).
 * TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH use binaries of your own instead (both, or the build runs).
 * @returns {Promise<{ server: string, sqlTool: string }>}
 */
export async function ensureTemporalServer({ log = (m) => console.error(`[tools] ${m}`) } = {}) {
  const server = await checkOverride('TEMPORAL_SERVER_PATH', process.env.TEMPORAL_SERVER_PATH);
  const sqlTool = await checkOverride('TEMPORAL_SQL_TOOL_PATH', process.env.TEMPORAL_SQL_TOOL_PATH);
  if (server && sqlTool) return { server, sqlTool };

  const plan = buildPlan();
  const built = async () => (await readStamp(MARKER)) === TEMPORAL_SERVER_VERSION
    && (await isExecutableFile(plan.server)) && (await isExecutableFile(plan.sqlTool));
  if (!(await built())) {
    // Another `npm start` or bench in this checkout may be building right now: wait for it, then reuse.
    await withLock(join(SERVER_DIR, '.build.lock'), log, async () => {
      if (!(await built())) await build(plan, log);
    });
  }
  return { server: server ?? plan.server, sqlTool: sqlTool ?? plan.sqlTool };
}

async function build(plan, log) {
  const started = Date.now();
  log(`building the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool with go install into ${plan.binDir} (one-time, about 7 minutes on 2 cores)`);
  await mkdir(plan.binDir, { recursive: true });
  let result;
  try {
    result = await capture('go', ['install', ...plan.packages], {
      // GOFLAGS from the caller's shell (e.g. -mod=vendor) would break a module-mode install.
      env: { ...process.env, GOBIN: plan.binDir, GOFLAGS: '' },
    });
  } catch (error) {
    if (error.code === 'ENOENT') {
      throw new Error('The Go toolchain (`go`, 1.26.4 or newer) is needed to build the Temporal server and was not found on PATH. '
        + `Install Go, or set TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH to binaries built with go install ${plan.packages.join(' ')}.`);
    }
    throw error;
  }
  if (result.code !== 0 || !(await isExecutableFile(plan.server)) || !(await isExecutableFile(plan.sqlTool))) {
    throw new Error(`go install ${plan.packages.join(' ')} failed:\n${tail(result.stderr || result.stdout, 20)}\n`
      + 'Check that the Go module proxy is reachable (go env GOPROXY) and that Go is 1.26.4 or newer, '
      + 'or set TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH to binaries of your own.');
  }
  await writeFile(MARKER, `${TEMPORAL_SERVER_VERSION}\n`);
  log(`Temporal server ${TEMPORAL_SERVER_VERSION} ready (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
