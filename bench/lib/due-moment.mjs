// Many workflows due at one moment, with the moment chosen after seeing how fast this machine seeds.
// Timers cannot be moved once started, so the due moment must lie beyond the end of seeding: a small
// warm-up batch, due at once, measures the seeding rate (and warms the JIT, connection pools and
// worker caches, so the measured run is not a cold start); the due moment is then set with slack.

// The warm-up rate is already pessimistic (it runs while the warm-up items do their due work too).
const SLACK = 1.3;
const MARGIN_MS = 3_000;

const seconds = (ms) => Math.round(ms / 100) / 10;
export const sleepUntil = (at) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

/**
 * @param {object} o
 * @param {number} o.count         items in the measured batch
 * @param {number} o.warmupCount   items in the warm-up batch
 * @param {(n: number) => Promise<void>} o.warmup  seeds n items due now and resolves once their
 *        pre-due work is done (so the rate covers all that must happen before the due moment)
 * @param {(dueAt: Date) => Promise<T>} o.seed     seeds the batch due at dueAt, resolving when each
 *        item has done its pre-due work
 * @returns {Promise<{ dueAt: Date, seeded: T, seeding: object }>} resolves at the due moment
 */
export async function seedDueTogether({ count, warmupCount, warmup, seed, log }) {
  let started = Date.now();
  await warmup(warmupCount);
  const warmupMs = Math.max(Date.now() - started, 1);
  const estimateMs = (count * warmupMs) / warmupCount;
  const dueAt = new Date(Math.ceil((Date.now() + estimateMs * SLACK + MARGIN_MS) / 1000) * 1000);
  log(`seeding ${count}, due at ${dueAt.toISOString()} (in ${seconds(dueAt - Date.now())} s)`);

  started = Date.now();
  const seeded = await seed(dueAt);
  const seededAt = Date.now();
  const slackMs = dueAt.getTime() - seededAt;
  if (slackMs < 0) log(`WARNING: seeding ended ${seconds(-slackMs)} s after the due moment; the first ones started late`);
  await sleepUntil(dueAt.getTime());
  return {
    dueAt,
    seeded,
    seeding: {
      warmup: warmupCount,
      warmupPerSecond: Math.round((warmupCount / warmupMs) * 10_000) / 10,
      seconds: seconds(seededAt - started),
      perSecond: Math.round((count / Math.max(seededAt - started, 1)) * 10_000) / 10,
      slackSeconds: seconds(slackMs),
      overran: slackMs < 0,
    },
  };
}
