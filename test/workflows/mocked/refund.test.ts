/**
 * The refund workflow on the time-skipping test server with mocked activities: the order of its
 * steps, the pending-refund check schedule, and what a failure does, without PostgreSQL or a
 * gateway. The real activities are covered in test/workflows/refund.test.ts.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import type { RefundGatewayResult, RefundRecordState } from '../../../activities/refunds';
import { PENDING_CHECK_INTERVALS_MS, refundWorkflow } from '../../../workflows/refund/workflow';
import { refundWorkflowId } from '../../../workflows/refund/contract';
import { mockedActivitiesWorker, type RunningWorker } from '../../support/billing-worker';
import { createTimeSkippingEnv } from '../../support/temporal-env';

const TASK_QUEUE = 'refund-mocked';

const pending: RefundGatewayResult = { status: 'pending', gatewayRefundId: 're_1', failureReason: null };
const succeeded: RefundGatewayResult = { status: 'succeeded', gatewayRefundId: 're_1', failureReason: null };

/** The refund activities as jest functions: the gateway answers `first`, then each of `checks` in turn. */
function mockedActivities(first: () => Promise<RefundGatewayResult>, checks: RefundGatewayResult[] = []) {
  return {
    refundAtGateway: jest.fn((_: { refundId: string; paymentId: string }) => first()),
    checkRefundAtGateway: jest.fn((_: { refundId: string }) => Promise.resolve(checks.shift() ?? pending)),
    completeRefund: jest.fn(({ refundId, result }: { refundId: string; result: RefundGatewayResult; completedAt: string }): Promise<RefundRecordState> =>
      Promise.resolve({ refundId, ...result }),
    ),
    sendRefundReceipt: jest.fn((_: { refundId: string }) => Promise.resolve('email_refund_receipt')),
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

/** Runs one refund workflow to its end on a worker with these activities. */
async function runRefund(activities: Activities) {
  worker = await mockedActivitiesWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, activities });
  sequence += 1;
  const refundId = `re_mocked_${sequence}_${Date.now()}`;
  const result = await env.client.workflow.execute(refundWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: refundWorkflowId(refundId),
    args: [{ refundId, paymentId: 'pay_1' }],
  });
  return { refundId, result };
}

test('a refund the gateway settles at once is completed and the receipt sent, in that order', async () => {
  const activities = mockedActivities(() => Promise.resolve(succeeded));
  const { refundId, result } = await runRefund(activities);

  expect(result).toEqual({ refundId, status: 'succeeded', failureReason: null });
  expect(activities.refundAtGateway).toHaveBeenCalledWith({ refundId, paymentId: 'pay_1' });
  expect(activities.checkRefundAtGateway).not.toHaveBeenCalled();
  expect(activities.completeRefund).toHaveBeenCalledTimes(1);
  expect(activities.completeRefund.mock.calls[0]![0]).toMatchObject({ refundId, result: succeeded });
  expect(activities.sendRefundReceipt).toHaveBeenCalledWith({ refundId });
  expect(activities.completeRefund.mock.invocationCallOrder[0]).toBeLessThan(activities.sendRefundReceipt.mock.invocationCallOrder[0]!);
});

test('a pending refund is recorded, then checked again after 1, 5 and 30 minutes until the bank confirms it', async () => {
  const activities = mockedActivities(() => Promise.resolve(pending), [pending, pending, succeeded]);
  const { refundId, result } = await runRefund(activities);

  expect(result).toEqual({ refundId, status: 'succeeded', failureReason: null });
  expect(activities.checkRefundAtGateway).toHaveBeenCalledTimes(3);
  // Each pending answer is recorded (the gateway's refund id shows meanwhile), then the final one.
  const completions = activities.completeRefund.mock.calls.map(([call]) => call);
  expect(completions.map((c) => c.result.status)).toEqual(['pending', 'pending', 'pending', 'succeeded']);
  const gaps = completions.slice(1).map((c, i) => Date.parse(c.completedAt) - Date.parse(completions[i]!.completedAt));
  gaps.forEach((gap, i) => expect(Math.abs(gap - PENDING_CHECK_INTERVALS_MS[i]!)).toBeLessThan(5_000));
  expect(activities.sendRefundReceipt).toHaveBeenCalledTimes(1);
});

test('a refund the gateway cannot execute ends failed with the reason, and no receipt', async () => {
  const activities = mockedActivities(() => Promise.reject(ApplicationFailure.nonRetryable('payment pay_1 was taken offline', 'RefundNotExecutable')));
  const { refundId, result } = await runRefund(activities);

  expect(result).toEqual({ refundId, status: 'failed', failureReason: 'RefundNotExecutable: payment pay_1 was taken offline' });
  expect(activities.completeRefund).toHaveBeenCalledTimes(1);
  expect(activities.completeRefund.mock.calls[0]![0].result).toEqual({ status: 'failed', gatewayRefundId: null, failureReason: 'RefundNotExecutable: payment pay_1 was taken offline' });
  expect(activities.sendRefundReceipt).not.toHaveBeenCalled();
});

test('a refund the gateway declines is recorded failed, without a receipt', async () => {
  const declined: RefundGatewayResult = { status: 'failed', gatewayRefundId: 're_1', failureReason: 'charge_expired_for_refund' };
  const activities = mockedActivities(() => Promise.resolve(declined));
  const { refundId, result } = await runRefund(activities);

  expect(result).toEqual({ refundId, status: 'failed', failureReason: 'charge_expired_for_refund' });
  expect(activities.completeRefund.mock.calls[0]![0].result).toEqual(declined);
  expect(activities.sendRefundReceipt).not.toHaveBeenCalled();
});
