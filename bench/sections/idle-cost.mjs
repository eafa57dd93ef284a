// Idle cost: what sleeping subscriptions cost while nothing is due, as worker resident memory and
// Temporal database size (the dev server's SQLite files, or the server's two PostgreSQL databases),
// against the same worker and server with none. Runs first, on a fresh stack, so "none" really is
// none; the seeding is bench/idle/seed.ts (bulk SQL and a Temporal client, see there why not the API).
import { runTsJson } from '../lib/ts-json.mjs';
import { settledRss } from '../lib/process-stats.mjs';

const ratio = (a, b) => (b > 0 ? Math.round((a / b) * 100) / 100 : null);

// Ten steady seconds, not three: a worker just started keeps the garbage of loading its workflow bundle
// (about 60 MiB of RSS here) for 10–15 s before its first major collection, and a "none" taken before
// it made every growth look that much smaller. Both snapshots wait alike.
const SETTLE = { stableSamples: 10 };

async function snapshot(stack, settle) {
  const rss = await settledRss(stack.worker.pid, { ...SETTLE, ...settle });
  return { workerRssBytes: rss.rssBytes, rssStable: rss.stable, temporalDbBytes: await stack.temporalStateBytes() };
}

export async function measureIdleCost(stack, { count, log }) {
  log('idle: measuring the worker and the Temporal database with no subscriptions');
  const none = await snapshot(stack, { maxMs: 45_000 });

  log(`idle: seeding ${count} subscriptions that sleep until next month`);
  const seeding = await runTsJson('bench/idle/seed.ts', { ...stack.appEnv(), BENCH_IDLE_COUNT: String(count) });
  log(`idle: ${count} asleep (insert ${seeding.insertSeconds} s, start ${seeding.startSeconds} s, settle ${seeding.settleSeconds} s); letting the worker's memory settle`);
  const idle = await snapshot(stack, { maxMs: 90_000 });

  return {
    subscriptions: count,
    baseline: none,
    measured: idle,
    ratio: { workerRss: ratio(idle.workerRssBytes, none.workerRssBytes), temporalDb: ratio(idle.temporalDbBytes, none.temporalDbBytes) },
    perSubscription: {
      workerRssBytes: Math.round((idle.workerRssBytes - none.workerRssBytes) / count),
      temporalDbBytes: Math.round((idle.temporalDbBytes - none.temporalDbBytes) / count),
    },
    seeding,
  };
}
