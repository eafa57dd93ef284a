/**
 * The engine baseline workflow: a subscription's first period with its activities emptied. It does
 * the same Temporal work as the subscription workflow on the happy path, in the same order:
 * `beforeDue` activities at start (the subscription records its state), a search-attribute upsert
 * and a timer until `dueAt` (the billing boundary), then `afterDue` activities one after the other
 * (invoice, charge, receipt, record state) and another upsert. Only the activities' bodies differ,
 * so billing ÷ baseline is the cost of what the billing activities do. The bench takes both counts
 * from the subscription workflow's measured history, so the two stay alike when the workflow changes.
 * The upserts reuse the billing search attributes, which also lets the bench see when every baseline
 * workflow is asleep (`BillingStatus = "scheduled"`).
 */
import { proxyActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { BillingStatusAttribute, NextBillingDateAttribute } from '../../workflows/shared/search-attributes';
import type { BaselineActivities } from './activities';

export interface BaselineWorkflowInput {
  dueAt: string;
  beforeDue: number;
  afterDue: number;
}

// The same timeout and retry policy as the subscription workflow's record activities.
const { noop } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function baselineWorkflow(input: BaselineWorkflowInput): Promise<void> {
  for (let i = 0; i < input.beforeDue; i += 1) await noop();
  upsertSearchAttributes([
    { key: BillingStatusAttribute, value: 'scheduled' },
    { key: NextBillingDateAttribute, value: new Date(input.dueAt) },
  ]);
  const untilDue = Date.parse(input.dueAt) - Date.now();
  if (untilDue > 0) await sleep(untilDue);
  for (let i = 0; i < input.afterDue; i += 1) await noop();
  upsertSearchAttributes([{ key: BillingStatusAttribute, value: 'active' }]);
}
