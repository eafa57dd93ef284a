/**
 * The subscription workflow on the time-skipping server with mocked activities (no database, no
 * gateway): which activities it calls, in which order, with which arguments, for a billed period, a
 * pause and a cancel; a run that continues as new between boundaries when its history grows long; and
 * an update id applied in one run and retried in the next (answered, not applied twice).
 * The time-skipping tests beside (test/workflows/subscription*.test.ts) run the real activities.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mockedActivitiesWorker, type RunningWorker } from '../../support/billing-worker';
import { eventually } from '../../support/eventually';
import { invoiceSummary, mockActivities, type MockedActivities } from '../../support/mocked-activities';
import { createTimeSkippingEnv } from '../../support/temporal-env';
import {
  cancelUpdate,
  getSubscriptionQuery,
  pauseUpdate,
  resumeUpdate,
  subscriptionWorkflowId,
  type SubscriptionView,
  type SubscriptionWorkflowInput,
} from '../../../workflows/subscription/contract';
import type { subscriptionWorkflow } from '../../../workflows/subscription/workflow';

const TASK_QUEUE = 'subscription-mocked';

let env: TestWorkflowEnvironment;
let worker: RunningWorker;
let mocked: MockedActivities;

beforeEach(async () => {
  env = await createTimeSkippingEnv();
  mocked = mockActivities({
    recordSubscriptionState: () => undefined,
    createSubscriptionInvoice: () => invoiceSummary('inv_1'),
    startInvoiceCollection: () => undefined,
    invoiceLeftoverCharges: () => null,
  });
  worker = await mockedActivitiesWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, activities: mocked.activities });
});

afterEach(async () => {
  await worker?.stop();
  await env?.teardown();
});

async function startSubscription(id: string, extra: Partial<SubscriptionWorkflowInput> = {}) {
  const anchor = new Date(await env.currentTimeMs()).toISOString();
  const input: SubscriptionWorkflowInput = {
    subscriptionId: id,
    customerId: 'cus_1',
    billingAnchor: anchor,
    timeZone: 'UTC',
    interval: { unit: 'month', count: 1 },
    ...extra,
  };
  await env.client.workflow.start<typeof subscriptionWorkflow>('subscriptionWorkflow', {
    taskQueue: TASK_QUEUE,
    workflowId: subscriptionWorkflowId(id),
    args: [input],
  });
  // Updates go to whichever run is current (no run id): the workflow may continue as new.
  return { anchor, handle: env.client.workflow.getHandle<typeof subscriptionWorkflow>(subscriptionWorkflowId(id)) };
}

test('the period starting at the anchor is billed and handed to collection; a pause and a cancel are recorded; the end invoices leftovers', async () => {
  const { anchor, handle } = await startSubscription('sub_1');
  await eventually(() => expect(mocked.names()).toContain('startInvoiceCollection'));

  const paused = await handle.executeUpdate(pauseUpdate, { args: [{}] });
  expect(paused.status).toBe('paused');
  const canceled = await handle.executeUpdate(cancelUpdate, { args: [{ atPeriodEnd: false }] });
  expect(canceled.status).toBe('canceled');
  const final = await handle.result();
  expect(final.status).toBe('canceled');

  expect(mocked.names()).toEqual([
    'recordSubscriptionState', // active, before the first boundary
    'createSubscriptionInvoice', // period 0, at the anchor
    'startInvoiceCollection',
    'recordSubscriptionState', // period 0 billed, next billing date a month on
    'recordSubscriptionState', // paused
    'recordSubscriptionState', // canceled
    'invoiceLeftoverCharges',
  ]);
  const [invoiceArgs] = mocked.argsOf('createSubscriptionInvoice') as { subscriptionId: string; period: { index: number; start: string } }[];
  expect(invoiceArgs).toMatchObject({ subscriptionId: 'sub_1', period: { index: 0, start: anchor } });
  expect(mocked.argsOf('startInvoiceCollection')).toEqual([
    expect.objectContaining({ invoiceId: 'inv_1', customerId: 'cus_1', collectionMethod: 'charge_automatically', ownerWorkflowId: 'subscription-sub_1' }),
  ]);
  const states = mocked.argsOf('recordSubscriptionState') as { status: string; nextBillingDate: string | null; currentPeriod: { index: number } | null }[];
  expect(states.map((s) => s.status)).toEqual(['active', 'active', 'paused', 'canceled']);
  expect(states[1]).toMatchObject({ currentPeriod: { index: 0 }, nextBillingDate: expect.any(String) });
  expect(states[3]!.nextBillingDate).toBeNull();
  expect(mocked.argsOf('invoiceLeftoverCharges')).toEqual([{ subscriptionId: 'sub_1', issuedAt: canceled.canceledAt }]);
});

test('a run whose history passes its limit continues as new between boundaries, carrying the state the updates changed', async () => {
  const { handle } = await startSubscription('sub_2', { historyEventsPerRun: 60 });
  await eventually(() => expect(mocked.names()).toContain('startInvoiceCollection'));
  const firstRunId = (await handle.describe()).runId;

  let last: SubscriptionView | undefined;
  let runId = firstRunId;
  for (let i = 0; i < 20 && runId === firstRunId; i += 1) {
    last = i % 2 === 0 ? await handle.executeUpdate(pauseUpdate, { args: [{}] }) : await handle.executeUpdate(resumeUpdate);
    runId = (await handle.describe()).runId;
  }
  expect(runId).not.toBe(firstRunId);
  await eventually(async () => expect((await handle.describe()).status.name).toBe('RUNNING'));

  // The new run starts from the carried state: the billed period, and what the last update made.
  const now = await handle.query(getSubscriptionQuery);
  expect(now).toEqual(last);
  expect(now).toMatchObject({ nextPeriodIndex: 1, currentPeriod: { index: 0 } });
  // Nothing was billed twice: the new run sleeps until the next boundary.
  expect(mocked.argsOf('createSubscriptionInvoice')).toHaveLength(1);
  // And the new run answers updates.
  const after = last!.status === 'paused' ? await handle.executeUpdate(resumeUpdate) : await handle.executeUpdate(pauseUpdate, { args: [{}] });
  expect(after.status).toBe(last!.status === 'paused' ? 'active' : 'paused');
  await handle.terminate('test over');
});

test('an update id applied in an earlier run is answered in the next one, not applied again', async () => {
  const { handle } = await startSubscription('sub_3', { historyEventsPerRun: 60 });
  await eventually(() => expect(mocked.names()).toContain('startInvoiceCollection'));
  const firstRunId = (await handle.describe()).runId;
  const first = await handle.executeUpdate(pauseUpdate, { args: [{}], updateId: 'pause-from-request-1' });
  expect(first.status).toBe('paused');

  // Other changes until the run continues as new, ending active.
  let runId = firstRunId;
  let status = first.status;
  for (let i = 0; i < 40 && (runId === firstRunId || status !== 'active'); i += 1) {
    status = (status === 'paused' ? await handle.executeUpdate(resumeUpdate) : await handle.executeUpdate(pauseUpdate, { args: [{}] })).status;
    runId = (await handle.describe()).runId;
  }
  expect(runId).not.toBe(firstRunId);
  expect(status).toBe('active');

  // The first pause retried with its id: answered with the state as it is, and nothing paused.
  const retried = await handle.executeUpdate(pauseUpdate, { args: [{}], updateId: 'pause-from-request-1' });
  expect(retried.status).toBe('active');
  expect((await handle.query(getSubscriptionQuery)).status).toBe('active');
  // A new id is a new change.
  expect((await handle.executeUpdate(pauseUpdate, { args: [{}], updateId: 'pause-from-request-2' })).status).toBe('paused');
  await handle.terminate('test over');
});
