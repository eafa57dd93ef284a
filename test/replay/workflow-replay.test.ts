/**
 * Recorded histories of earlier workflow code (subscriptions, invoice collection, instalment plans, quotes, refunds) must replay against
 * the current code: a change that would break a running workflow fails here (wrap it in `patched()`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { workflowBundle } from '../support/billing-worker';

const HISTORY_DIR = join(__dirname, 'histories');
const histories = readdirSync(HISTORY_DIR).filter((f) => f.endsWith('.json'));

test('there are recorded histories to replay', () => {
  expect(histories.length).toBeGreaterThan(0);
});

test.each(histories)('%s replays without non-determinism', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(HISTORY_DIR, file), 'utf8')));
  await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file)).resolves.toBeUndefined();
});
