/**
 * Concurrent clients changing one entity through the API the way the README tells an integration to:
 * each change carries its own Idempotency-Key, and an answer that is not its outcome (202 pending,
 * 409 lock_timeout) is retried with the same key until the outcome comes. What each change ended as is
 * collected for the test to check against the entity's final state.
 */
import { randomUUID } from 'node:crypto';
import type { ApiHarness } from './api-harness';

export interface ChangeOutcome {
  action: string;
  /** 200: applied; any other final status: refused (nothing applied). */
  status: number;
  code?: string;
  /** The non-final answers on the way (202, 409 lock_timeout). */
  interim: number[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends one change until its outcome is known; the retries reuse its key. */
export async function changeUntilKnown(api: ApiHarness, url: string, action: string, retryPauseMs = 50): Promise<ChangeOutcome> {
  const key = randomUUID();
  const interim: number[] = [];
  for (;;) {
    const res = await api.call('operator', 'POST', url, {}, { 'idempotency-key': key });
    const code = res.body?.error?.code as string | undefined;
    const notFinal = res.status === 202 || (res.status === 409 && (code === 'lock_timeout' || code === 'idempotency_key_in_use'));
    if (!notFinal) return { action, status: res.status, code, interim };
    expect(res.headers['retry-after']).toBeDefined();
    interim.push(res.status);
    await sleep(retryPauseMs);
  }
}

/** When a storm ends early: once `reached()` is true, `then` more changes are sent and the storm ends. */
export interface StormEnd {
  reached: () => Promise<boolean>;
  then: number;
  /** How often `reached` is asked while the storm runs. */
  everyMs?: number;
}

/**
 * `clients` clients send up to `total` changes between them to `entityUrl` (`<entityUrl>/<action>`),
 * each client alternating `actions` from its own starting point. With `end`, the storm stops `end.then`
 * changes after `end.reached()` first answers true (`total` stays the cap).
 */
export async function hotEntityStorm(
  api: ApiHarness,
  entityUrl: string,
  actions: readonly string[],
  total: number,
  clients: number,
  end?: StormEnd,
): Promise<ChangeOutcome[]> {
  const outcomes: ChangeOutcome[] = [];
  let sent = 0;
  let limit = total;
  let running = true;
  const watcher = (async () => {
    if (!end) return;
    while (running) {
      if (await end.reached()) {
        limit = Math.min(total, sent + end.then);
        return;
      }
      await sleep(end.everyMs ?? 250);
    }
  })();
  try {
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let turn = client; sent < limit; turn += 1) {
          sent += 1;
          const action = actions[turn % actions.length]!;
          outcomes.push(await changeUntilKnown(api, `${entityUrl}/${action}`, action));
        }
      }),
    );
  } finally {
    running = false;
    await watcher;
  }
  return outcomes;
}

/** Counts per action of the changes applied (answered 200). */
export function appliedCounts(outcomes: readonly ChangeOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) if (o.status === 200) counts[o.action] = (counts[o.action] ?? 0) + 1;
  return counts;
}
