import type { MikroORM } from '@mikro-orm/postgresql';
import { type PreparedStatement, queryRows } from '../../db/pooled-query';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** One in this many increments also sweeps counters whose window ended an hour ago. */
const SWEEP_ONE_IN = 1000;

/** Starts a new window when the last one ended, otherwise adds one; answers the count and the time left. */
const INCREMENT: PreparedStatement = {
  name: 'rate_limit_increment',
  text: `insert into rate_limit_counters as c (key, hits, window_ends_at)
         values ($1, 1, clock_timestamp() + make_interval(secs => $2))
         on conflict (key) do update set
           hits = case when c.window_ends_at <= clock_timestamp() then 1 else c.hits + 1 end,
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
 * every API process counts against the same limit. One upsert per counted request, run as a
 * prepared statement on a pooled connection (db/pooled-query.ts): it is on every request's path.
 */
export class PostgresRateLimitStore {
  constructor(
    private readonly orm: MikroORM,
    private readonly namespace: string,
  ) {}

  incr(key: string, callback: Callback, timeWindowMs: number): void {
    this.increment(`${this.namespace}:${key}`, timeWindowMs).then(
      (result) => callback(null, result),
      (error: Error) => callback(error),
    );
  }

  read(key: string, callback: Callback): void {
    this.current(`${this.namespace}:${key}`).then(
      (result) => callback(null, result),
      (error: Error) => callback(error),
    );
  }

  /** A route's own limit counts apart from the global one. */
  child(routeOptions: object): PostgresRateLimitStore {
    const { routeInfo } = routeOptions as { routeInfo?: { method?: unknown; url?: unknown } };
    const route = routeInfo?.url ? `${String(routeInfo.method)} ${String(routeInfo.url)}` : 'custom';
    return new PostgresRateLimitStore(this.orm, `${this.namespace}/${route}`);
  }

  async increment(key: string, timeWindowMs: number): Promise<{ current: number; ttl: number }> {
    const [row] = await queryRows<{ hits: number; ttl: number }>(this.orm, INCREMENT, [key, timeWindowMs / 1000]);
    if (Math.floor(Math.random() * SWEEP_ONE_IN) === 0) await queryRows(this.orm, SWEEP, []);
    return { current: row!.hits, ttl: row!.ttl };
  }

  async current(key: string): Promise<{ current: number; ttl: number }> {
    const [row] = await queryRows<{ hits: number; ttl: number }>(this.orm, CURRENT, [key]);
    return row ? { current: row.hits, ttl: row.ttl } : { current: 0, ttl: 0 };
  }
}
