/**
 * Invoice collection on the time-skipping test server with mocked activities: the dunning sequence
 * as the workflow itself runs it (which attempt is charged when, what is recorded and sent), without
 * PostgreSQL or a gateway. The real activities are covered in test/workflows/invoice-collection.test.ts.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ChargeInvoiceResult } from '../../../activities/charging';
import type { CollectionInvoice } from '../../../activities/collection';
import type { DunningPolicy } from '../../../domain/dunning';
import { invoiceCollectionWorkflow } from '../../../workflows/invoice-collection/workflow';
import type { InvoiceCollectionRunInput } from '../../../workflows/invoice-collection/hand-over';
import {
  extendGraceUpdate,
  getCollectionQuery,
  invoiceCollectionWorkflowId,
  recordOfflinePaymentUpdate,
  voidInvoiceUpdate,
  type CollectionView,
} from '../../../workflows/invoice-collection/contract';
import { mockedActivitiesWorker, type RunningWorker } from '../../support/billing-worker';
import { eventually } from '../../support/eventually';
import { createTimeSkippingEnv } from '../../support/temporal-env';

const TASK_QUEUE = 'invoice-collection-mocked';
const DAY = 86_400_000;
const AMOUNT = 5_000;

const POLICY: DunningPolicy = { retryDaysAfterFirstFailure: [1, 3, 5], invoiceAfterFailure: 'past_due', subscriptionAfterFailure: 'past_due' };

const openInvoice = (invoiceId: string): CollectionInvoice => ({
  invoiceId,
  status: 'open',
  currency: 'usd',
  total: AMOUNT,
  amountPaid: 0,
  amountDue: AMOUNT,
  dueDate: new Date().toISOString(),
});

const declined = (attempt: number): ChargeInvoiceResult => ({
  outcome: 'failed',
  paymentId: `pay_${attempt}`,
  failureCode: 'insufficient_funds',
  failureMessage: 'Your card has insufficient funds.',
});

/** Every activity invoice collection calls, as jest functions; the charge declines until `paidOnAttempt`. */
function mockedActivities({ policy = POLICY, paidOnAttempt = Number.POSITIVE_INFINITY } = {}) {
  const settledInvoice = (invoiceId: string, status: CollectionInvoice['status']): CollectionInvoice => ({
    ...openInvoice(invoiceId),
    status,
    amountPaid: status === 'paid' ? AMOUNT : 0,
    amountDue: status === 'paid' ? 0 : AMOUNT,
  });
  return {
    getInvoiceForCollection: jest.fn(({ invoiceId }: { invoiceId: string }) => Promise.resolve({ invoice: openInvoice(invoiceId), dunningPolicy: policy })),
    chargeInvoice: jest.fn(({ attempt }: { invoiceId: string; attempt: number; chargedAt: string }): Promise<ChargeInvoiceResult> =>
      Promise.resolve(attempt >= paidOnAttempt ? { outcome: 'succeeded', paymentId: `pay_${attempt}` } : declined(attempt)),
    ),
    recordCollectionProgress: jest.fn((_: { invoiceId: string; attemptCount: number; nextPaymentAttempt: string | null; pastDueAt: string | null }) => Promise.resolve()),
    sendPaymentFailedNotice: jest.fn((_: { paymentId: string; nextRetryAt?: string }) => Promise.resolve('email_failed')),
    sendFinalPaymentFailureNotice: jest.fn((_: { invoiceId: string; failureCode: string | null }) => Promise.resolve('email_final')),
    sendPaymentReceipt: jest.fn((_: { paymentId: string }) => Promise.resolve('email_receipt')),
    markInvoiceUncollectible: jest.fn(({ invoiceId }: { invoiceId: string }) => Promise.resolve(settledInvoice(invoiceId, 'uncollectible'))),
    voidInvoice: jest.fn(({ invoiceId }: { invoiceId: string }) => Promise.resolve(settledInvoice(invoiceId, 'void'))),
    recordOfflinePayment: jest.fn(({ invoiceId }: { invoiceId: string; amount: number }) =>
      Promise.resolve({ paymentId: 'pay_offline', invoice: settledInvoice(invoiceId, 'paid') }),
    ),
    recordGatewayPayment: jest.fn(({ invoiceId }: { invoiceId: string }) => Promise.resolve({ paymentId: 'pay_webhook', invoice: settledInvoice(invoiceId, 'paid') })),
    sendInvoice: jest.fn((_: { invoiceId: string; copy?: number }) => Promise.resolve('email_invoice')),
    sendInvoiceOverdueReminder: jest.fn((_: { invoiceId: string }) => Promise.resolve('email_reminder')),
  };
}

type Activities = ReturnType<typeof mockedActivities>;

let env: TestWorkflowEnvironment;
let worker: RunningWorker | undefined;
let sequence = 0;

beforeEach(async () => {
  env = await createTimeSkippingEnv();
});

afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await env?.teardown();
});

/** Starts a worker with these activities and one collection workflow on it. */
async function startCollection(activities: Activities, input: Partial<InvoiceCollectionRunInput> = {}) {
  worker = await mockedActivitiesWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, activities });
  sequence += 1;
  const invoiceId = `in_mocked_${sequence}_${Date.now()}`;
  const handle = await env.client.workflow.start(invoiceCollectionWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: invoiceCollectionWorkflowId(invoiceId),
    args: [{ invoiceId, customerId: 'cus_mocked', collectionMethod: 'charge_automatically', ownerWorkflowId: null, ...input }],
  });
  return { handle, invoiceId };
}

const chargeTimes = (activities: Activities): number[] => activities.chargeInvoice.mock.calls.map(([call]) => Date.parse(call.chargedAt));

/** Days between the first charge and each later one, to the minute. */
const daysAfterFirstCharge = (activities: Activities): number[] => {
  const [first, ...later] = chargeTimes(activities);
  return later.map((t) => Math.round(((t - first!) / DAY) * 1440) / 1440);
};

/** Workflow time moves on while an activity runs (the schedule counts from the decline, not the charge): to the minute. */
function expectNear(iso: string, expectedMs: number): void {
  expect(Math.abs(Date.parse(iso) - expectedMs)).toBeLessThan(60_000);
}

/** Polls the workflow's view until `ready` holds. */
async function viewWhen(handle: { query: (q: typeof getCollectionQuery) => Promise<CollectionView> }, ready: (view: CollectionView) => boolean): Promise<CollectionView> {
  return eventually(async () => {
    const view = await handle.query(getCollectionQuery);
    expect(ready(view)).toBe(true);
    return view;
  });
}

test('declines are retried on the policy schedule (day +1, +3) and the 3rd attempt pays the invoice', async () => {
  const activities = mockedActivities({ paidOnAttempt: 3 });
  const { handle } = await startCollection(activities);

  const view = await handle.result();

  expect(view).toMatchObject({ stage: 'paid', attempts: 3, pastDue: false, nextRetryAt: null });
  expect(activities.chargeInvoice.mock.calls.map(([call]) => call.attempt)).toEqual([1, 2, 3]);
  expect(daysAfterFirstCharge(activities)).toEqual([1, 3]);
  // Each decline told the customer when the next retry is, and that time is when it was charged.
  const noticed = activities.sendPaymentFailedNotice.mock.calls.map(([call]) => call);
  expect(noticed.map((n) => n.paymentId)).toEqual(['pay_1', 'pay_2']);
  chargeTimes(activities)
    .slice(1)
    .forEach((chargedAt, i) => expectNear(noticed[i]!.nextRetryAt!, chargedAt));
  expect(activities.sendPaymentReceipt).toHaveBeenCalledWith({ paymentId: 'pay_3' });
  expect(activities.sendFinalPaymentFailureNotice).not.toHaveBeenCalled();
});

test('every attempt declines: 4 attempts, then the invoice is written off and the final notice sent; a void still closes it', async () => {
  const activities = mockedActivities({ policy: { ...POLICY, invoiceAfterFailure: 'uncollectible' } });
  const { handle } = await startCollection(activities);

  await env.sleep(6 * DAY);
  const view = await viewWhen(handle, (v) => v.stage === 'uncollectible');

  expect(view).toMatchObject({ attempts: 4, pastDue: true, nextRetryAt: null, lastFailureCode: 'insufficient_funds' });
  expect(daysAfterFirstCharge(activities)).toEqual([1, 3, 5]);
  expect(activities.markInvoiceUncollectible).toHaveBeenCalledTimes(1);
  expect(activities.sendFinalPaymentFailureNotice).toHaveBeenCalledWith({ invoiceId: view.invoiceId, failureCode: 'insufficient_funds' });
  // Written off before the final notice goes out, so the notice can say so.
  expect(activities.markInvoiceUncollectible.mock.invocationCallOrder[0]).toBeLessThan(activities.sendFinalPaymentFailureNotice.mock.invocationCallOrder[0]!);
  const lastProgress = activities.recordCollectionProgress.mock.calls.at(-1)![0];
  expect(lastProgress).toMatchObject({ attemptCount: 4, nextPaymentAttempt: null });
  expect(lastProgress.pastDueAt).not.toBeNull();

  await expect(handle.executeUpdate(voidInvoiceUpdate)).resolves.toMatchObject({ stage: 'void' });
  await expect(handle.result()).resolves.toMatchObject({ stage: 'void', attempts: 4 });
});

test('a charge started from a page the customer is at (customerNotices: false) emails no failure notice, and still retries and sends the receipt', async () => {
  const activities = mockedActivities({ paidOnAttempt: 2 });
  const { handle } = await startCollection(activities, { customerNotices: false });

  await expect(handle.result()).resolves.toMatchObject({ stage: 'paid', attempts: 2 });
  expect(activities.sendPaymentFailedNotice).not.toHaveBeenCalled();
  expect(activities.sendFinalPaymentFailureNotice).not.toHaveBeenCalled();
  expect(activities.sendPaymentReceipt).toHaveBeenCalledWith({ paymentId: 'pay_2' });
});

test('every attempt declines with customerNotices: false: the schedule runs out without a customer email', async () => {
  const activities = mockedActivities();
  const { handle } = await startCollection(activities, { customerNotices: false });

  await env.sleep(6 * DAY);
  await viewWhen(handle, (v) => v.stage === 'awaiting_payment' && v.pastDue);
  expect(activities.chargeInvoice).toHaveBeenCalledTimes(4);
  expect(activities.sendPaymentFailedNotice).not.toHaveBeenCalled();
  expect(activities.sendFinalPaymentFailureNotice).not.toHaveBeenCalled();
  await expect(handle.executeUpdate(voidInvoiceUpdate)).resolves.toMatchObject({ stage: 'void' });
});

test('voided mid-dunning: the scheduled retry never charges', async () => {
  const activities = mockedActivities();
  const { handle, invoiceId } = await startCollection(activities);
  await viewWhen(handle, (v) => v.stage === 'retry_scheduled');

  await expect(handle.executeUpdate(voidInvoiceUpdate)).resolves.toMatchObject({ stage: 'void', nextRetryAt: null });
  await expect(handle.result()).resolves.toMatchObject({ stage: 'void', attempts: 1 });

  expect(activities.voidInvoice).toHaveBeenCalledWith({ invoiceId });
  expect(activities.chargeInvoice).toHaveBeenCalledTimes(1);
  expect(activities.sendFinalPaymentFailureNotice).not.toHaveBeenCalled();
});

test('marked paid mid-dunning (an offline payment): collection ends paid, the retry never charges', async () => {
  const activities = mockedActivities();
  const { handle, invoiceId } = await startCollection(activities);
  await viewWhen(handle, (v) => v.stage === 'retry_scheduled');

  const paid = await handle.executeUpdate(recordOfflinePaymentUpdate, {
    args: [{ amount: AMOUNT, method: 'bank_transfer', paidAt: new Date().toISOString(), reference: 'wire 42', sendReceipt: true, requestKey: 'offline-1' }],
  });

  expect(paid).toMatchObject({ stage: 'paid', nextRetryAt: null, attempts: 1 });
  await expect(handle.result()).resolves.toMatchObject({ stage: 'paid' });
  expect(activities.recordOfflinePayment).toHaveBeenCalledWith(expect.objectContaining({ invoiceId, amount: AMOUNT, method: 'bank_transfer', requestKey: 'offline-1' }));
  expect(activities.sendPaymentReceipt).toHaveBeenCalledWith({ paymentId: 'pay_offline' });
  expect(activities.chargeInvoice).toHaveBeenCalledTimes(1);
});

test('a long dunning continues as new: same workflow id, a new run carrying attempts, schedule and grace, and later actions still work', async () => {
  const activities = mockedActivities({ paidOnAttempt: 3 });
  // Low enough that the first run hands over at its first wait, high enough that a fresh run waits first.
  const { handle } = await startCollection(activities, { historyEventsPerRun: 20 });
  const firstRunId = handle.firstExecutionRunId;

  const secondRunId = await eventually(async () => {
    const { runId } = await handle.describe();
    expect(runId).not.toBe(firstRunId);
    return runId;
  });
  const first = await env.client.workflow.getHandle(handle.workflowId, firstRunId).describe();
  expect(first.status.name).toBe('CONTINUED_AS_NEW');

  // The new run carries the state: one attempt made, the retry still due a day after the first failure.
  const firstChargeAt = chargeTimes(activities)[0]!;
  const carried = await viewWhen(handle, (v) => v.stage === 'retry_scheduled');
  expect(carried).toMatchObject({ attempts: 1, graceDays: 0, lastFailureCode: 'insufficient_funds' });
  expectNear(carried.nextRetryAt!, firstChargeAt + DAY);

  // An operator action on the new run moves the schedule it carried.
  const extended = await handle.executeUpdate(extendGraceUpdate, { args: [{ days: 2 }] });
  expect(extended).toMatchObject({ graceDays: 2 });
  expectNear(extended.nextRetryAt!, firstChargeAt + 3 * DAY);

  const view = await handle.result();
  expect(view).toMatchObject({ stage: 'paid', attempts: 3, graceDays: 2 });
  // Retry 1 on day 1 + 2 grace days, retry 2 on day 3 + 2: the grace outlived every hand-over.
  expect(daysAfterFirstCharge(activities)).toEqual([3, 5]);
  expect(activities.getInvoiceForCollection).toHaveBeenCalledTimes(1);
  const { runId: lastRunId } = await handle.describe();
  expect(lastRunId).not.toBe(secondRunId);
});

test('an emailed invoice continues as new while it waits: the reminder goes out once, a day after the due date, and a payment then closes it', async () => {
  const activities = mockedActivities();
  const { handle, invoiceId } = await startCollection(activities, { collectionMethod: 'send_invoice', historyEventsPerRun: 10 });

  await eventually(async () => expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId));
  expect(activities.sendInvoice).toHaveBeenCalledTimes(1);
  expect(activities.sendInvoiceOverdueReminder).not.toHaveBeenCalled();

  // Due today: reminded a day later, by whichever run is waiting then, and not before.
  await env.sleep(DAY - 60_000);
  expect(activities.sendInvoiceOverdueReminder).not.toHaveBeenCalled();
  await env.sleep(2 * 60_000);
  const overdue = await viewWhen(handle, (v) => v.pastDue);
  expect(overdue).toMatchObject({ stage: 'awaiting_payment', attempts: 0 });
  expect(activities.sendInvoiceOverdueReminder).toHaveBeenCalledTimes(1);
  expect(activities.sendInvoiceOverdueReminder).toHaveBeenCalledWith({ invoiceId });

  const paid = await handle.executeUpdate(recordOfflinePaymentUpdate, {
    args: [{ amount: AMOUNT, method: 'check', paidAt: new Date().toISOString(), reference: null, sendReceipt: false, requestKey: 'offline-2' }],
  });
  expect(paid).toMatchObject({ stage: 'paid', pastDue: false });
  await expect(handle.result()).resolves.toMatchObject({ stage: 'paid' });
  expect(activities.sendInvoice).toHaveBeenCalledTimes(1);
  expect(activities.getInvoiceForCollection).toHaveBeenCalledTimes(1);
  expect(activities.sendPaymentReceipt).not.toHaveBeenCalled();
});
