// Idle cost: what sleeping subscriptions cost while nothing is due, as worker resident memory and
// Temporal database size (the dev server's SQLite files, or the server's two PostgreSQL databases),
// against the same worker and server with none. Runs first, on a fresh stack, so "none" really is
// none; the seeding is bench/idle/seed.ts (bulk SQL and a Temporal client, see there why not the API).
//
// It seeds in two steps, a fifth and then the rest, with a snapshot after each: none → all mixes two
// costs, the worker's one-off high-water mark of starting thousands of workflows at once (V8 and the
// SDK's native side keep what they grew) and what each sleeping subscription keeps. The growth from
// the first fifth to all of them is the second alone: whether memory follows the count.
import { runTsJson } from '../lib/ts-json.mjs';
import { settledRss } from '../lib/process-stats.mjs';

const ratio = (a, b) => (b > 0 ? Math.round((a / b) * 100) / 100 : null);

// Ten steady seconds, not three: a worker just started keeps the garbage of loading its workflow bundle
// (about 60 MiB of RSS here) for 10–15 s before its first major collection, and a "none" taken before
// it made every growth look that much smaller. Every snapshot waits alike.
const SETTLE = { stableSamples: 10 };

async function snapshot(stack, settle) {
  const rss = await settledRss(stack.worker.pid, { ...SETTLE, ...settle });
  return { workerRssBytes: rss.rssBytes, rssStable: rss.stable, temporalDbBytes: await stack.temporalStateBytes() };
}

async function seed(stack, count, batch, log) {
  log(`idle: seeding ${count} subscriptions that sleep until next month`);
  const seeding = await runTsJson('bench/idle/seed.ts', { ...stack.appEnv(), BENCH_IDLE_COUNT: String(count), BENCH_IDLE_BATCH: String(batch) });
  log(`idle: ${count} more asleep (insert ${seeding.insertSeconds} s, start ${seeding.startSeconds} s, settle ${seeding.settleSeconds} s); letting the worker's memory settle`);
  return seeding;
}

const perSubscription = (from, to, count) => ({
  workerRssBytes: Math.round((to.workerRssBytes - from.workerRssBytes) / count),
  temporalDbBytes: Math.round((to.temporalDbBytes - from.temporalDbBytes) / count),
});

export async function measureIdleCost(stack, { count, log }) {
  log('idle: measuring the worker and the Temporal database with no subscriptions');
  const none = await snapshot(stack, { maxMs: 45_000 });

  const firstCount = count >= 5 ? Math.round(count / 5) : 0;
  let first = null;
  const seeding = [];
  if (firstCount > 0) {
    seeding.push(await seed(stack, firstCount, 0, log));
    first = { subscriptions: firstCount, ...(await snapshot(stack, { maxMs: 90_000 })) };
  }
  seeding.push(await seed(stack, count - firstCount, 1, log));
  const idle = await snapshot(stack, { maxMs: 90_000 });

  return {
    subscriptions: count,
    baseline: none,
    measured: idle,
    ratio: { workerRss: ratio(idle.workerRssBytes, none.workerRssBytes), temporalDb: ratio(idle.temporalDbBytes, none.temporalDbBytes) },
    perSubscription: perSubscription(none, idle, count),
    // What the subscriptions beyond the first fifth cost, each: memory that follows the count shows here.
    ...(first ? { first, perSubscriptionAfterFirst: perSubscription(first, idle, count - firstCount) } : {}),
    seeding,
  };
}
