// `npm run bench [-- options]` (not part of `npm test`): boots a throwaway copy of the real stack
// (PostgreSQL, Temporal dev server on SQLite or with --engine server the Temporal server on
// PostgreSQL, migrations, worker(s), API) and measures, each figure next
// to a baseline taken in the same run so the ratio holds on a noisy machine:
//   history  events per billing period and the longest run (time-skipping server; also tells the
//            engine baseline how many activities a period runs)
//   idle     worker RSS and Temporal database size with N subscriptions asleep, against none
//   billing  N subscriptions due at once until all are invoiced, charged and receipted, against the
//            same workflows with no-op activities
//   api      GET by id and a filtered list under fixed-concurrency load, against bare Fastify (and
//            GET by id against bare Fastify running the same SQL through pg)
//   page     the quote acceptance page (GET /quotes/:token) under the same load, printed beside the
//            API's GET by id
//   hot      20 clients pausing and resuming one subscription, then 20 subscriptions: answers by
//            status, p50/p99, and changes applied after their caller was told they failed (must be 0)
// Idle runs first, so "none" is a fresh worker and an empty server. Prints a JSON summary and a
// table; the JSON also goes to bench/results/latest.json. `--help` lists the options.
import { cpus, loadavg } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../scripts/lib/tools.mjs';
import { USAGE, parseBenchArgs } from './lib/args.mjs';
import { seedBillingRun, waitForBillingRun } from './lib/billing-run.mjs';
import { startBaselineWorker } from './lib/engine-baseline.mjs';
import { formatTable } from './lib/report.mjs';
import { startStack } from './lib/stack.mjs';
import { measureApiReads } from './sections/api-reads.mjs';
import { measureBillingRun } from './sections/billing.mjs';
import { measureHistory } from './sections/history.mjs';
import { measureIdleCost } from './sections/idle-cost.mjs';
import { measureHotEntity } from './sections/hot-entity.mjs';
import { measureQuotePage } from './sections/quote-page.mjs';
import { measureCheckoutPage } from './sections/checkout-page.mjs';

/** A promise that never rejects: { value } or { error }, so it can wait while other work runs. */
const settle = (promise) => promise.then((value) => ({ value }), (error) => ({ error }));

const RESULTS_FILE = join(ROOT, 'bench', 'results', 'latest.json');
const started = Date.now();
const log = (message) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);

/** Subscriptions for the read benchmark when the billing run was skipped: a page's worth, billed. */
async function readTarget(stack) {
  const pick = () => stack.sql(`select id from subscriptions where status = 'active' order by id desc limit 10`);
  let rows = await pick();
  if (rows.length < 10) {
    const { subscriptionIds } = await seedBillingRun(stack, { count: 10, startAt: Date.now() });
    await waitForBillingRun(stack, subscriptionIds, { timeoutMs: 60_000 });
    rows = await pick();
  }
  return rows[0].id;
}

async function main(options) {
  const summary = {
    benchmark: 'billing-orchestrator',
    startedAt: new Date(started).toISOString(),
    machine: { cpus: cpus().length, node: process.versions.node, loadAverage: loadavg().map((l) => Math.round(l * 100) / 100) },
    parameters: {
      quick: options.quick,
      sections: options.sections,
      subscriptions: options.subscriptions,
      idle: options.idle,
      durationSeconds: options.duration,
      connections: options.connections,
      hotSeconds: options.hotSeconds,
      engine: options.engine,
      workers: options.workers,
      // What the workers were started with; null: the app's default (config.ts DEFAULT_MAX_CACHED_WORKFLOWS).
      workerMaxCachedWorkflows: options.workerCache ?? (process.env.WORKER_MAX_CACHED_WORKFLOWS ? Number(process.env.WORKER_MAX_CACHED_WORKFLOWS) : null),
    },
    sections: {},
    warnings: [],
    errors: {},
  };
  const wants = (name) => options.sections.includes(name);
  /** A failed section is reported and the others still run. */
  const section = async (name, measure) => {
    try {
      summary.sections[name] = await measure();
    } catch (error) {
      log(`${name} FAILED: ${error.stack ?? error.message}`);
      summary.errors[name] = error.message;
    }
  };

  const engineName = options.engine === 'server' ? 'Temporal server on PostgreSQL' : 'Temporal dev server';
  log(`starting the stack (PostgreSQL, ${engineName}, migrations, ${options.workers} worker(s), API)`);
  const env = options.workerCache ? { WORKER_MAX_CACHED_WORKFLOWS: String(options.workerCache) } : {};
  const stack = await startStack({ engine: options.engine, workers: options.workers, env, log: (m) => log(`stack: ${m}`) });
  let baselineWorker; // settled promise of the engine baseline's worker, while it may be up
  const cleanup = async () => {
    await baselineWorker?.then((r) => r.value?.stop()).catch(() => {});
    await stack.stop();
  };
  const onSignal = (signal) => {
    log(`${signal}: stopping the stack`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  log(`stack up: API ${stack.apiUrl}, Temporal ${stack.temporal.address}`);

  try {
    // Started at once, because none of it disturbs what idle measures (the billing worker's memory,
    // the dev server's database): the baseline worker's bundling, and the history run on its own
    // time-skipping server. The engine baseline needs history's activity counts.
    if (wants('billing')) baselineWorker = settle(startBaselineWorker(stack));
    const historyDone = wants('history') || wants('billing') ? section('history', () => measureHistory(stack, { log })) : undefined;
    if (wants('idle')) await section('idle', () => measureIdleCost(stack, { count: options.idle, log }));
    await historyDone;

    if (wants('billing')) {
      await section('billing', async () => {
        const { value: worker, error } = await baselineWorker;
        if (error) throw error;
        if (!summary.sections.history) throw new Error('needs the history section (activity counts), which failed');
        const { activitiesBeforeDue, activitiesPerPeriod } = summary.sections.history;
        return measureBillingRun(stack, {
          count: options.subscriptions,
          activities: { beforeDue: activitiesBeforeDue, afterDue: activitiesPerPeriod },
          baselineWorker: worker,
          log,
        });
      });
      // Off before the read benchmark, which it would only disturb.
      await baselineWorker.then((r) => r.value?.stop());
      baselineWorker = undefined;
    }

    if (wants('api')) {
      await section('api', async () => measureApiReads(stack, {
        subscriptionId: await readTarget(stack),
        connections: options.connections,
        duration: options.duration,
        log,
      }));
    }

    if (wants('page')) {
      await section('page', () => measureQuotePage(stack, { connections: options.connections, duration: options.duration, log }));
      await section('checkoutPage', () => measureCheckoutPage(stack, { connections: options.connections, duration: options.duration, log }));
    }

    if (wants('hot')) await section('hot', () => measureHotEntity(stack, { clients: 20, seconds: options.hotSeconds, log }));
  } finally {
    log('stopping the stack');
    await cleanup();
  }
  if (!wants('history')) delete summary.sections.history;
  summary.warnings.push(...warningsOf(summary));
  summary.totalSeconds = Math.round((Date.now() - started) / 1000);
  return summary;
}

function warningsOf({ sections: s, errors }) {
  const warnings = Object.entries(errors).map(([name, message]) => `section ${name} failed: ${message.split('\n')[0]}`);
  if (s.billing) {
    const { counts } = s.billing.billing;
    if (counts.duplicates !== 0 || counts.lost !== 0) warnings.push(`billing run: ${counts.duplicates} duplicates, ${counts.lost} lost`);
    if (s.billing.billing.seeding.overran) warnings.push('billing run: seeding ended after the due moment');
    if (s.billing.baseline.seeding.overran) warnings.push('engine baseline: seeding ended after the due moment');
  }
  if (s.idle && !(s.idle.measured.rssStable && s.idle.baseline.rssStable && (s.idle.first?.rssStable ?? true))) warnings.push('idle cost: worker RSS was still moving when measured');
  if (s.api) {
    for (const route of [s.api.byId, s.api.list]) {
      for (const side of [route.api, route.pgBaseline, route.baseline].filter(Boolean)) {
        if (side.non2xx || side.errors) warnings.push(`${route.route}: ${side.non2xx} non-2xx, ${side.errors} errors under load`);
      }
    }
  }
  for (const p of [s.page, s.checkoutPage]) {
    if (p && (p.page.non2xx || p.page.errors)) warnings.push(`${p.route}: ${p.page.non2xx} non-2xx, ${p.page.errors} errors under load`);
  }
  if (s.hot) {
    for (const [name, run] of [['one subscription', s.hot.oneSubscription], ['20 subscriptions', s.hot.manySubscriptions]]) {
      if (run.appliedAfterToldFailed || run.answered200NotApplied || run.finalStateMismatches) {
        warnings.push(`hot entity (${name}): ${run.appliedAfterToldFailed} applied after told failed, ${run.answered200NotApplied} answered 200 not applied, ${run.finalStateMismatches} final states wrong`);
      }
    }
  }
  return warnings;
}

const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
let options;
try {
  options = parseBenchArgs(argv);
} catch (error) {
  console.error(`${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

try {
  const summary = await main(options);
  await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
  await writeFile(RESULTS_FILE, JSON.stringify(summary, null, 2) + '\n');
  console.log(JSON.stringify(summary, null, 2));
  if (!options.jsonOnly) console.log(`\n${formatTable(summary)}\n\n(JSON also in ${RESULTS_FILE.replace(ROOT + '/', '')}; ${summary.totalSeconds} s in total)`);
  // A failed section, a billing run that lost or duplicated anything, or a hot entity change answered
  // other than it ended, fails the command.
  const counts = summary.sections.billing?.billing.counts;
  const hot = summary.sections.hot;
  const hotWrong = hot && [hot.oneSubscription, hot.manySubscriptions].some((r) => r.appliedAfterToldFailed || r.answered200NotApplied || r.finalStateMismatches);
  process.exitCode = Object.keys(summary.errors).length || counts?.duplicates || counts?.lost || hotWrong ? 1 : 0;
} catch (error) {
  console.error(`[bench] ${error.stack ?? error.message}`);
  process.exitCode = 1;
}
