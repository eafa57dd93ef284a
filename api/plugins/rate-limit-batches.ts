/**
 * Per-credential request counts, counted in this process first and written to PostgreSQL in small
 * batches: every API process still counts against the same limit (`rate_limit_counters`), but most
 * requests no longer pay an upsert of one hot row each.
 *
 * The bound, per key and window: a process admits a request on its own count only while fewer than
 * LOCAL_SHARE of the limit (5 %, rounded down) are counted here and not yet in PostgreSQL, and only
 * within FLUSH_AFTER_MS of its last write; past either, the next request writes the batch and gets
 * the shared count back. So with N API processes at most N × 5 % of the limit can be admitted above
 * it in one window, and no process's view of the others is older than 100 ms. A limit under 20 per
 * window has no local share: every request is written, exactly as before.
 */

/** Share of a window's limit one API process may admit before PostgreSQL has counted it. */
export const LOCAL_SHARE = 0.05;
/** Longest a process answers from its own count before writing what it counted. */
export const FLUSH_AFTER_MS = 100;
/** Windows that ended are forgotten once in this many counts. */
const FORGET_ONE_IN = 1000;

export interface WindowCount {
  current: number;
  /** Milliseconds until the window ends. */
  ttl: number;
}

type Write = (key: string, timeWindowMs: number, hits: number) => Promise<WindowCount>;

interface KeyState {
  /** The shared count PostgreSQL answered at the last write (this process's earlier batches included). */
  shared: number;
  /** Counted here since, not yet written. */
  pending: number;
  windowEndsAt: number;
  writtenAt: number;
}

export class RequestCountBatches {
  private readonly keys = new Map<string, KeyState>();
  private counts = 0;

  constructor(
    private readonly write: Write,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request against `key`; answers the count the limit is checked against. */
  async count(key: string, timeWindowMs: number, max: number): Promise<WindowCount> {
    const now = this.now();
    if (++this.counts % FORGET_ONE_IN === 0) this.forgetEnded(now);
    const state = this.keys.get(key);
    const live = state !== undefined && now < state.windowEndsAt;
    if (live && state.pending < Math.floor(max * LOCAL_SHARE) && now - state.writtenAt < FLUSH_AFTER_MS) {
      state.pending += 1;
      return { current: state.shared + state.pending, ttl: state.windowEndsAt - now };
    }
    // This request and what was counted here in the same window; a batch from a window that ended
    // is dropped with it (it limits nothing any more).
    const hits = live ? state.pending + 1 : 1;
    if (state) state.pending = 0;
    const counted = await this.write(key, timeWindowMs, hits);
    const after = this.keys.get(key);
    const sameWindow = after !== undefined && after.windowEndsAt > now;
    this.keys.set(key, {
      // Concurrent writes may answer out of order: the higher count is the later one.
      shared: Math.max(counted.current, sameWindow ? after.shared : 0),
      // Requests counted here while the write was in flight stay pending for the next one.
      pending: sameWindow ? after.pending : 0,
      windowEndsAt: this.now() + counted.ttl,
      writtenAt: this.now(),
    });
    return counted;
  }

  /** Counted here and not yet written, for a read of the shared count. */
  pending(key: string): number {
    const state = this.keys.get(key);
    return state && this.now() < state.windowEndsAt ? state.pending : 0;
  }

  private forgetEnded(now: number): void {
    for (const [key, state] of this.keys) if (state.windowEndsAt <= now) this.keys.delete(key);
  }
}
