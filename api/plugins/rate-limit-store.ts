import type { MikroORM } from '@mikro-orm/postgresql';
import { type PreparedStatement, queryRows } from '../../db/pooled-query';
import { RequestCountBatches } from './rate-limit-batches';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** One in this many increments also sweeps counters whose window ended an hour ago. */
const SWEEP_ONE_IN = 1000;

/** Starts a new window (of $3 hits) when the last one ended, otherwise adds $3; answers the count and the time left. */
const INCREMENT: PreparedStatement = {
  name: 'rate_limit_increment',
  text: `insert into rate_limit_counters as c (key, hits, window_ends_at)
         values ($1, $3, clock_timestamp() + make_interval(secs => $2))
         on conflict (key) do update set
           hits = case when c.window_ends_at <= clock_timestamp() then excluded.hits else c.hits + excluded.hits end,
           window_ends_at = case when c.window_ends_at <= clock_timestamp() then excluded.window_ends_at else c.window_ends_at end
         returning hits, greatest(0, ceil(extract(epoch from (window_ends_at - clock_timestamp())) * 1000))::int as ttl`,
};

const CURRENT: PreparedStatement = {
  name: 'rate_limit_current',
  text: `select hits, ceil(extract(epoch from (window_ends_at - clock_timestamp())) * 1000)::int as ttl
         from rate_limit_counters where key = $1 and window_ends_at > clock_timestamp()`,
};

const SWEEP: PreparedStatement = {
  name: 'rate_limit_sweep',
  text: `delete from rate_limit_counters where window_ends_at < clock_timestamp() - interval '1 hour'`,
};

/**
 * A fixed-window counter store for @fastify/rate-limit in PostgreSQL (`rate_limit_counters`), so
 * every API process counts against the same limit. Counted with an upsert run as a prepared statement
 * on a pooled connection (db/pooled-query.ts): once per request for the failed-authentication cap,
 * in small bounded batches per process for the per-request limits (rate-limit-batches.ts).
 */
export class PostgresRateLimitStore {
  private readonly batches = new RequestCountBatches((key, timeWindowMs, hits) => this.increment(key, timeWindowMs, hits));

  constructor(
    private readonly orm: MikroORM,
    private readonly namespace: string,
  ) {}

  /** Per-request counting for @fastify/rate-limit, batched per process within a bound (rate-limit-batches.ts). */
  incr(key: string, callback: Callback, timeWindowMs: number, max: number): void {
    this.batches.count(`${this.namespace}:${key}`, timeWindowMs, max).then(
      (result) => callback(null, result),
      (error: Error) => callback(error),
    );
  }

  read(key: string, callback: Callback): void {
    const counterKey = `${this.namespace}:${key}`;
    this.current(counterKey).then(
      (result) => callback(null, { ...result, current: result.current + this.batches.pending(counterKey) }),
      (error: Error) => callback(error),
    );
  }

  /** A route's own limit counts apart from the global one. */
  child(routeOptions: object): PostgresRateLimitStore {
    const { routeInfo } = routeOptions as { routeInfo?: { method?: unknown; url?: unknown } };
    const route = routeInfo?.url ? `${String(routeInfo.method)} ${String(routeInfo.url)}` : 'custom';
    return new PostgresRateLimitStore(this.orm, `${this.namespace}/${route}`);
  }

  /** Counts `hits` requests (one, or a batch counted locally first: rate-limit-batches.ts) against `key`. */
  async increment(key: string, timeWindowMs: number, hits = 1): Promise<{ current: number; ttl: number }> {
    const [row] = await queryRows<{ hits: number; ttl: number }>(this.orm, INCREMENT, [key, timeWindowMs / 1000, hits]);
    if (Math.floor(Math.random() * SWEEP_ONE_IN) === 0) await queryRows(this.orm, SWEEP, []);
    return { current: row!.hits, ttl: row!.ttl };
  }

  async current(key: string): Promise<{ current: number; ttl: number }> {
    const [row] = await queryRows<{ hits: number; ttl: number }>(this.orm, CURRENT, [key]);
    return row ? { current: row.hits, ttl: row.ttl } : { current: 0, ttl: 0 };
  }
}
