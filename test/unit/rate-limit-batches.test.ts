/**
 * Request counts batched per API process (api/plugins/rate-limit-batches.ts): several processes on
 * one shared counter still enforce the limit, above it by at most their local shares, and a small
 * limit is counted exactly.
 */
import { FLUSH_AFTER_MS, LOCAL_SHARE, RequestCountBatches, type WindowCount } from '../../api/plugins/rate-limit-batches';

/** One fixed window of `windowMs` on a shared counter, as `rate_limit_counters` keeps it. */
function sharedCounter(clock: { now: number }) {
  const rows = new Map<string, { hits: number; endsAt: number }>();
  let writes = 0;
  const write = async (key: string, windowMs: number, hits: number): Promise<WindowCount> => {
    writes += 1;
    await Promise.resolve();
    const row = rows.get(key);
    const next = row && row.endsAt > clock.now ? { hits: row.hits + hits, endsAt: row.endsAt } : { hits, endsAt: clock.now + windowMs };
    rows.set(key, next);
    return { current: next.hits, ttl: next.endsAt - clock.now };
  };
  return { write, hits: (key: string) => rows.get(key)?.hits ?? 0, writes: () => writes };
}

test('three processes on one key admit at most the limit plus their local shares, and write far less than once a request', async () => {
  const clock = { now: 0 };
  const counter = sharedCounter(clock);
  const processes = [0, 1, 2].map(() => new RequestCountBatches(counter.write, () => clock.now));
  const max = 100;
  let admitted = 0;
  for (let i = 0; i < 600; i++) {
    clock.now += 0.5; // 600 requests in 300 ms of a 1 s window, round-robin over the processes
    const { current } = await processes[i % 3]!.count('key:k', 1_000, max);
    if (current <= max) admitted += 1;
  }
  expect(admitted).toBeGreaterThanOrEqual(max);
  expect(admitted).toBeLessThanOrEqual(max + 3 * Math.floor(max * LOCAL_SHARE));
  expect(counter.writes()).toBeLessThan(600 / 2);
});

test('a small limit has no local share: every request is written and counted exactly', async () => {
  const clock = { now: 0 };
  const counter = sharedCounter(clock);
  const batches = new RequestCountBatches(counter.write, () => clock.now);
  const answers = [];
  for (let i = 0; i < 6; i++) answers.push((await batches.count('key:k', 1_000, 3)).current);
  expect(answers).toEqual([1, 2, 3, 4, 5, 6]);
  expect(counter.writes()).toBe(6);
});

test('what was counted locally reaches the shared counter within the flush interval, and a new window starts afresh', async () => {
  const clock = { now: 0 };
  const counter = sharedCounter(clock);
  const batches = new RequestCountBatches(counter.write, () => clock.now);
  for (let i = 0; i < 4; i++) await batches.count('key:k', 1_000, 1_000);
  expect(counter.hits('key:k')).toBe(1);
  expect(batches.pending('key:k')).toBe(3);
  clock.now += FLUSH_AFTER_MS;
  expect((await batches.count('key:k', 1_000, 1_000)).current).toBe(5);
  expect(counter.hits('key:k')).toBe(5);
  clock.now += 1_000;
  expect((await batches.count('key:k', 1_000, 1_000)).current).toBe(1);
});
