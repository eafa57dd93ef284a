/**
 * The instalment plan workflow on the time-skipping server with mocked activities: the calls an
 * instalment makes from its reminder to its payment, and a run that continues as new when its history
 * grows long, carrying the schedule. The time-skipping tests beside (test/workflows/instalment-plan.test.ts)
 * run the real activities.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PlanInstalment } from '../../../domain/instalment-changes';
import { invoiceCollectionOutcomeSignal } from '../../../workflows/invoice-collection/contract';
import {
  getInstalmentPlanQuery,
  instalmentPlanWorkflowId,
  pausePlanUpdate,
  resumePlanUpdate,
  type InstalmentPlanView,
  type InstalmentPlanWorkflowInput,
} from '../../../workflows/instalment-plan/contract';
import type { instalmentPlanWorkflow } from '../../../workflows/instalment-plan/workflow';
import { mockedActivitiesWorker, type RunningWorker } from '../../support/billing-worker';
import { eventually } from '../../support/eventually';
import { mockActivities, type MockedActivities } from '../../support/mocked-activities';
import { createTimeSkippingEnv } from '../../support/temporal-env';

const TASK_QUEUE = 'instalment-plan-mocked';
const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
let worker: RunningWorker;
let mocked: MockedActivities;

beforeEach(async () => {
  env = await createTimeSkippingEnv();
  mocked = mockActivities({
    recordInstalmentPlanState: () => undefined,
    sendInstalmentReminder: () => undefined,
    createInstalmentInvoice: () => ({ invoiceId: 'inv_1' }),
    startInvoiceCollection: () => undefined,
  });
  worker = await mockedActivitiesWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, activities: mocked.activities });
});

afterEach(async () => {
  await worker?.stop();
  await env?.teardown();
});

const instalment = (number: number, dueDate: string, amount: number): PlanInstalment => ({
  number,
  kind: 'instalment',
  dueDate,
  amount,
  principal: amount,
  interest: 0,
  remainingPrincipal: 0,
  status: 'scheduled',
  invoiceId: null,
});

async function startPlan(id: string, dueInDays: number[], extra: Partial<InstalmentPlanWorkflowInput> = {}) {
  const now = await env.currentTimeMs();
  const instalments = dueInDays.map((days, i) => instalment(i + 1, new Date(now + days * DAY).toISOString(), 50_00));
  const input: InstalmentPlanWorkflowInput = {
    planId: id,
    customerId: 'cus_1',
    settings: { collectionMethod: 'charge_automatically', reminderDaysBefore: 3, timeZone: 'UTC', interval: { unit: 'month', count: 1 }, hasInterest: false, onPermanentFailure: 'continue' },
    instalments,
    ...extra,
  };
  await env.client.workflow.start<typeof instalmentPlanWorkflow>('instalmentPlanWorkflow', { taskQueue: TASK_QUEUE, workflowId: instalmentPlanWorkflowId(id), args: [input] });
  return { instalments, handle: env.client.workflow.getHandle<typeof instalmentPlanWorkflow>(instalmentPlanWorkflowId(id)) };
}

type PlanWrite = { status: string; instalments: PlanInstalment[] };

test('an instalment is reminded 3 days before it is due, invoiced and handed to collection on the day, and its payment completes the plan', async () => {
  const { instalments, handle } = await startPlan('plan_1', [10]);
  await eventually(() => expect(mocked.names()).toEqual(['recordInstalmentPlanState']));
  await env.sleep(10 * DAY + 60_000);
  await eventually(() => expect(mocked.names()).toContain('startInvoiceCollection'));
  await handle.signal(invoiceCollectionOutcomeSignal, { invoiceId: 'inv_1', outcome: 'paid' });
  const final = await handle.result();
  expect(final.status).toBe('completed');

  expect(mocked.names()).toEqual([
    'recordInstalmentPlanState', // the whole schedule, once
    'sendInstalmentReminder',
    'recordInstalmentPlanState', // reminded (no instalment changed)
    'createInstalmentInvoice',
    'startInvoiceCollection',
    'recordInstalmentPlanState', // invoiced
    'recordInstalmentPlanState', // paid
    'recordInstalmentPlanState', // completed
  ]);
  const first = instalments[0]!;
  expect(mocked.argsOf('sendInstalmentReminder')).toEqual([expect.objectContaining({ planId: 'plan_1', number: 1, dueDate: first.dueDate, amount: 50_00 })]);
  const [reminder] = mocked.argsOf('sendInstalmentReminder') as { remindedAt: string }[];
  // The timers run on the workflow's clock, a few milliseconds off the test's.
  expect(Math.abs(Date.parse(first.dueDate) - 3 * DAY - Date.parse(reminder!.remindedAt))).toBeLessThan(1_000);
  expect(mocked.argsOf('createInstalmentInvoice')).toEqual([
    expect.objectContaining({ planId: 'plan_1', instalment: expect.objectContaining({ number: 1, dueDate: first.dueDate, amount: 50_00 }) }),
  ]);
  const [invoiced] = mocked.argsOf('createInstalmentInvoice') as { issuedAt: string }[];
  expect(Math.abs(Date.parse(invoiced!.issuedAt) - Date.parse(first.dueDate))).toBeLessThan(1_000);
  expect(mocked.argsOf('startInvoiceCollection')).toEqual([
    expect.objectContaining({ invoiceId: 'inv_1', customerId: 'cus_1', ownerWorkflowId: 'instalment-plan-plan_1', reportEveryOutcome: true }),
  ]);
  const writes = mocked.argsOf('recordInstalmentPlanState') as PlanWrite[];
  expect(writes.map((w) => [w.status, w.instalments.map((i) => i.status)])).toEqual([
    ['active', ['scheduled']],
    ['active', []],
    ['active', ['invoiced']],
    ['active', ['paid']],
    ['completed', []],
  ]);
});

test('a run whose history passes its limit continues as new while it waits, carrying the schedule and what the updates changed', async () => {
  const { handle } = await startPlan('plan_2', [30, 60], { historyEventsPerRun: 50 });
  await eventually(() => expect(mocked.names()).toEqual(['recordInstalmentPlanState']));
  const firstRunId = (await handle.describe()).runId;

  let last: InstalmentPlanView | undefined;
  let runId = firstRunId;
  for (let i = 0; i < 20 && runId === firstRunId; i += 1) {
    last = i % 2 === 0 ? await handle.executeUpdate(pausePlanUpdate) : await handle.executeUpdate(resumePlanUpdate);
    runId = (await handle.describe()).runId;
  }
  expect(runId).not.toBe(firstRunId);

  const now = await handle.query(getInstalmentPlanQuery);
  expect(now).toEqual(last);
  expect(now.instalments.map((i) => i.status)).toEqual(['scheduled', 'scheduled']);
  // The new run's first write carries the whole schedule again (it remembers nothing it wrote).
  await eventually(() => {
    const writes = mocked.argsOf('recordInstalmentPlanState') as PlanWrite[];
    expect(writes[writes.length - 1]!.instalments.map((i) => i.number)).toEqual([1, 2]);
  });
  const after = last!.status === 'paused' ? await handle.executeUpdate(resumePlanUpdate) : await handle.executeUpdate(pausePlanUpdate);
  expect(after.status).toBe(last!.status === 'paused' ? 'active' : 'paused');
  expect(mocked.names()).not.toContain('createInstalmentInvoice');
  await handle.terminate('test over');
});
