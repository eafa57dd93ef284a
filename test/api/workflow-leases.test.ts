/**
 * The change slots of one workflow (api/workflow-leases.ts) against PostgreSQL: many callers at once
 * never hold more than CHANGE_SLOTS_PER_WORKFLOW, each gets its turn as others release, a caller whose
 * turn does not come in time is told so, and a lease left by a holder that died frees itself.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase, type MikroORM } from '../../db/orm';
import { CHANGE_SLOTS_PER_WORKFLOW, leaseWorkflowSlot } from '../../api/workflow-leases';
import { requireEnv } from '../support/env';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('20 callers on one workflow: never more than the slots at once, and every one gets its turn', async () => {
  const workflowId = `subscription-lease-${randomUUID()}`;
  let held = 0;
  let most = 0;
  const turns = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const lease = await leaseWorkflowSlot(orm, workflowId, Date.now() + 10_000, Date.now() + 10_000);
      if (!lease) return false;
      held += 1;
      most = Math.max(most, held);
      await sleep(20);
      held -= 1;
      await lease.release();
      return true;
    }),
  );
  expect(turns.every(Boolean)).toBe(true);
  expect(most).toBeLessThanOrEqual(CHANGE_SLOTS_PER_WORKFLOW);
  expect(most).toBeGreaterThan(1);
});

test('a caller whose turn does not come in time gets none; a lease its holder never released expires', async () => {
  const workflowId = `subscription-lease-${randomUUID()}`;
  // Holders that "die": they never release, and their leases last 1 s past their deadline of now.
  for (let i = 0; i < CHANGE_SLOTS_PER_WORKFLOW; i++) expect(await leaseWorkflowSlot(orm, workflowId, Date.now(), Date.now() - 1_000)).not.toBeNull();
  expect(await leaseWorkflowSlot(orm, workflowId, Date.now() + 200, Date.now() + 5_000)).toBeNull();
  const late = await leaseWorkflowSlot(orm, workflowId, Date.now() + 5_000, Date.now() + 5_000);
  expect(late).not.toBeNull();
  await late!.release();
});

test('other workflows are not held up by a busy one', async () => {
  const busy = `subscription-lease-${randomUUID()}`;
  for (let i = 0; i < CHANGE_SLOTS_PER_WORKFLOW; i++) await leaseWorkflowSlot(orm, busy, Date.now(), Date.now() + 5_000);
  const other = await leaseWorkflowSlot(orm, `subscription-lease-${randomUUID()}`, Date.now(), Date.now() + 5_000);
  expect(other).not.toBeNull();
  await other!.release();
});
