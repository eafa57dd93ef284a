/**
 * Serializes changes to one workflow across every API process, without locks in memory: a change
 * takes one of a few slots (a row per workflow id and slot in PostgreSQL, taken with an upsert) before
 * it is sent, and gives it back once answered. Temporal admits 10 updates in flight per workflow and
 * refuses the 11th; a busy entity's callers wait their turn here instead, within their own deadline.
 * A slot's lease expires by itself shortly after its holder's deadline, so a dead process frees it.
 */
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';

/** Changes in flight per workflow: enough for the workflow to write several in one go, far below 10. */
export const CHANGE_SLOTS_PER_WORKFLOW = 3;

/** A lease outlives its holder's deadline by this much, then any process may take the slot. */
const LEASE_MARGIN_MS = 2_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WorkflowLease {
  release(): Promise<void>;
}

/** One attempt: a free (or expired) slot of the workflow, or null when every slot is held. */
async function takeSlot(orm: MikroORM, workflowId: string, holder: string, leaseMs: number): Promise<boolean> {
  // Two callers may pick the same free slot: the loser's upsert meets a live lease and returns nothing.
  const rows = await orm.em.fork().execute<unknown[]>(
    `insert into workflow_change_leases (workflow_id, slot, holder, expires_at)
     select ?, s, ?, now() + make_interval(secs => ?)
     from generate_series(0, ? - 1) as s
     where not exists (select 1 from workflow_change_leases l where l.workflow_id = ? and l.slot = s and l.expires_at >= now())
     order by s limit 1
     on conflict (workflow_id, slot) do update set holder = excluded.holder, expires_at = excluded.expires_at
       where workflow_change_leases.expires_at < now()
     returning slot`,
    [workflowId, holder, leaseMs / 1000, CHANGE_SLOTS_PER_WORKFLOW, workflowId],
  );
  return rows.length === 1;
}

/**
 * Waits for a slot of `workflowId` until `waitUntil` (epoch ms), polling with a growing, jittered
 * pause; null when none came free in time. The lease lasts until `holdUntil` plus a margin.
 */
export async function leaseWorkflowSlot(orm: MikroORM, workflowId: string, waitUntil: number, holdUntil: number): Promise<WorkflowLease | null> {
  const holder = randomUUID();
  let pause = 5;
  for (;;) {
    const leaseMs = Math.max(holdUntil - Date.now(), 0) + LEASE_MARGIN_MS;
    if (await takeSlot(orm, workflowId, holder, leaseMs)) {
      return {
        release: async () => {
          await orm.em.fork().execute(`delete from workflow_change_leases where workflow_id = ? and holder = ?`, [workflowId, holder]);
        },
      };
    }
    const left = waitUntil - Date.now();
    if (left <= 0) return null;
    await sleep(Math.min(left, pause * (0.5 + Math.random())));
    pause = Math.min(pause * 1.6, 100);
  }
}
