// `npm test [-- <jest args>]`: installs what the tests need, then type-checks, lints and runs Jest,
// stopping at the first failing stage with its exit code. Jest's global setup starts PostgreSQL and
// the Temporal dev server itself (test/support/global-setup.mjs).
//
// Stages, each waiting for the one before (2 cores):
//   1. the type check and the lint, side by side (one core each), incremental: their caches live in
//      the git-ignored .cache/ and only files changed since the last run are checked again;
//   2. Jest on every file, beside a second Jest on the fault-injection run (test/chaos/faults.test.ts):
//      that run mostly waits out activity timeouts on stacks of its own, so in one of the two Jest
//      workers it kept a core idle for about 3 minutes;
//   3. the API fuzzing, alone (see below).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { ensureNodeModules } from './lib/deps.mjs';
import { signalExitCode, stopChild } from './lib/proc.mjs';
import { ROOT, ensureTools } from './lib/tools.mjs';
import { ensureChromium } from './lib/chromium.mjs';

const jestArgs = process.argv.slice(2);
if (jestArgs[0] === '--') jestArgs.shift(); // `node scripts/test.mjs -- -t name` works like `npm test -- -t name`

const bin = (name) => join(ROOT, 'node_modules', '.bin', name);
const took = (started) => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const CACHE = join(ROOT, '.cache');
// ESLint's cache notices a changed file or option, not a changed rule: the layering rules are code in
// eslint.config.mjs, so the cache is kept per version of that file and of the installed packages.
const lintCacheDir = () => {
  const hash = createHash('sha256');
  for (const file of ['eslint.config.mjs', 'package-lock.json']) hash.update(readFileSync(join(ROOT, file)));
  const name = hash.digest('hex').slice(0, 16);
  const parent = join(CACHE, 'eslint');
  mkdirSync(join(parent, name), { recursive: true });
  for (const old of readdirSync(parent)) if (old !== name) rmSync(join(parent, old), { recursive: true, force: true });
  return join(parent, name) + '/';
};

// A full run fuzzes the API alone, after the other suites: beside them on 2 cores its checks that
// every update is answered in time failed intermittently (and its fuzzing phase once stalled).
const FUZZ = 'test/api/fuzz.test.ts';
const CHAOS = 'test/chaos/faults.test.ts';

/** The steps running now, for a failing step and for signals to stop. */
const running = new Set();

// A Ctrl-C reaches the steps in the terminal's process group by itself, not the ones in a group of
// their own; SIGTERM and SIGHUP, sent to this process only, reach none of them. Pass them on and
// let the stage end: its exit code says the run was stopped.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    for (const { child, step } of running) {
      if (step.group) stopChild(child, { signal: 'SIGTERM', graceMs: 60_000, group: true });
      else if (signal !== 'SIGINT') child.kill(signal);
    }
  });
}

async function main() {
  const started = Date.now();
  await ensureNodeModules();
  const tools = await ensureTools();
  const chromium = await ensureChromium();
  console.log(`[test] dependencies and tools ready (${took(started)})`);

  // The same tools for every child: Jest's global setup and the tests use these paths.
  const env = {
    ...process.env,
    TEMPORAL_CLI_PATH: tools.temporalCli,
    TEMPORAL_TEST_SERVER_PATH: tools.temporalTestServer,
    STRIPE_MOCK_PATH: tools.stripeMock,
    SCHEMATHESIS_PATH: tools.schemathesis,
    CHROMIUM_PATH: chromium,
  };

  // Each Jest run writes its counts to a file of its own, so every run ends with one plain "passed, failed" line.
  const resultsDir = mkdtempSync(join(tmpdir(), 'billing-jest-'));
  const jest = (name, args, options = {}) => {
    const resultsFile = join(resultsDir, `${name.replace(/\W+/g, '-')}.json`);
    return { name, command: bin('jest'), args: ['--ci', '--json', `--outputFile=${resultsFile}`, ...args], resultsFile, ...options };
  };
  const stages = [
    [
      { name: 'typecheck', command: bin('tsc'), args: ['--noEmit', '--incremental', '--tsBuildInfoFile', join(CACHE, 'tsc', 'tsconfig.tsbuildinfo'), '-p', 'tsconfig.json'], quiet: true },
      { name: 'lint', command: bin('eslint'), args: ['--cache', '--cache-strategy', 'content', '--cache-location', lintCacheDir(), '.'], quiet: true },
    ],
    ...(jestArgs.length === 0
      ? [
          [
            jest('jest', ['--testPathIgnorePatterns', FUZZ, CHAOS]),
            // Its own process group, so stopping it early takes the chaos runner and its stacks too.
            jest('jest (fault injection, beside the others)', [CHAOS], { quiet: true, group: true }),
          ],
          [jest('jest (API fuzzing, alone)', [FUZZ])],
        ]
      : [[jest('jest', jestArgs)]]),
  ];
  const totals = { passed: 0, failed: 0, skipped: 0, brokenFiles: 0, runs: 0, failures: [] };
  try {
    for (const steps of stages) {
      const code = await runStage(steps, env, totals);
      if (code !== 0) {
        printFailures(totals.failures);
        return code;
      }
    }
    if (totals.runs > 1) console.log(`\n[test] all Jest runs: ${countsLine(totals)}`);
    return 0;
  } finally {
    rmSync(resultsDir, { recursive: true, force: true });
  }
}

/**
 * Runs a stage's steps side by side. The first step shows its output as it comes; the others are
 * `quiet` (their output is printed in one piece when they end, so lines never interleave). When a
 * step fails, the steps still running in their own process group are stopped; the stage's exit code
 * is the first failing step's, in the stage's order.
 */
async function runStage(steps, env, totals) {
  const codes = await Promise.all(
    steps.map(async (step) => {
      console.log(`\n[test] ${step.name}${steps.length > 1 ? ' (side by side)' : ''}: ${[step.command.replace(ROOT + '/', ''), ...step.args].join(' ')}`);
      const started = Date.now();
      const child = spawn(step.command, step.args, {
        cwd: ROOT,
        env,
        stdio: step.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
        detached: Boolean(step.group),
      });
      const entry = { child, step };
      running.add(entry);
      let output = '';
      child.stdout?.on('data', (chunk) => { output += chunk; });
      child.stderr?.on('data', (chunk) => { output += chunk; });
      const code = await new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (exitCode, signal) => resolve(exitCode ?? signalExitCode(signal)));
      }).finally(() => running.delete(entry));
      if (step.quiet && output.trim()) console.log(`\n[test] ${step.name} output:\n${output.trimEnd()}`);
      console.log(`[test] ${step.name} ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${took(started)}`);
      if (step.resultsFile) addCounts(step.resultsFile, totals);
      if (code !== 0) {
        for (const other of running) if (other.step.group) stopChild(other.child, { signal: 'SIGTERM', graceMs: 60_000, group: true });
      }
      return code;
    }),
  );
  return codes.find((code) => code !== 0) ?? 0;
}

const countsLine = ({ passed, failed, skipped, brokenFiles }) =>
  `Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${brokenFiles ? `; ${brokenFiles} file(s) failed outside their tests` : ''}`;

function addCounts(resultsFile, totals) {
  try {
    const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
    const counts = { passed: r.numPassedTests, failed: r.numFailedTests, skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0), brokenFiles: 0 };
    for (const file of r.testResults ?? []) {
      for (const test of file.assertionResults ?? []) {
        if (test.status === 'failed') totals.failures.push({ file: relative(ROOT, file.name), title: test.fullName, messages: test.failureMessages ?? [] });
      }
      // A file that failed outside any test (its beforeAll, a syntax error, an error thrown from a timer
      // left by the file before it in the same worker) has a message of its own, and no failed test to count.
      if (file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed')) {
        counts.brokenFiles += 1;
        totals.failures.push({ file: relative(ROOT, file.name), title: '(the file itself)', messages: [file.message ?? ''] });
      }
    }
    console.log(countsLine(counts));
    totals.passed += counts.passed;
    totals.failed += counts.failed;
    totals.skipped += counts.skipped;
    totals.brokenFiles += counts.brokenFiles;
    totals.runs += 1;
  } catch {
    // Jest died before writing results; its own output says why.
  }
}

/**
 * The failed tests once more, last, each with the head of its message: a run's output is long (worker
 * logs, the quiet steps printed in one piece) and a CI log is often read from its end, or cut.
 */
function printFailures(failures) {
  if (failures.length === 0) return;
  console.log(`\n[test] ${failures.length} failed test(s):`);
  for (const { file, title, messages } of failures) {
    const lines = stripVTControlCharacters(messages.join('\n')).split('\n').filter((line) => line.trim() && !/^\s+at /.test(line));
    console.log(`\n  ${file} › ${title}\n${lines.slice(0, 40).map((line) => `    ${line}`).join('\n')}`);
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`[test] ${error.message}`);
  process.exitCode = 1;
}
