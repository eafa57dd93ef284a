/**
 * The checkout session workflow on the time-skipping server with mocked activities: it checks the
 * session's progress until the records say paid (then closes it complete and sends the
 * confirmations) or declined (closes it failed with the decline's message, no confirmations), and
 * closes a session with no outcome after a day as expired.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { checkoutWorkflowId } from '../../../workflows/checkout/contract';
import type { checkoutWorkflow } from '../../../workflows/checkout/workflow';
import { mockedActivitiesWorker, type RunningWorker } from '../../support/billing-worker';
import { mockActivities, type MockedActivities } from '../../support/mocked-activities';
import { createTimeSkippingEnv } from '../../support/temporal-env';

const TASK_QUEUE = 'checkout-mocked';
const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
let worker: RunningWorker;
let mocked: MockedActivities;
/** What `checkCheckoutProgress` answers, in turn; the last answer repeats. */
let progress: { state: string; failureMessage: string | null }[];

beforeEach(async () => {
  env = await createTimeSkippingEnv();
  mocked = mockActivities({
    checkCheckoutProgress: () => (progress.length > 1 ? progress.shift() : progress[0]),
    closeCheckoutSession: () => undefined,
    sendCheckoutConfirmations: () => ['em_1', 'em_2'],
  });
  worker = await mockedActivitiesWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, activities: mocked.activities });
});

afterEach(async () => {
  await worker?.stop();
  await env?.teardown();
});

const run = (sessionId: string) =>
  env.client.workflow.execute<typeof checkoutWorkflow>('checkoutWorkflow', { taskQueue: TASK_QUEUE, workflowId: checkoutWorkflowId(sessionId), args: [{ sessionId }] });

const pending = { state: 'pending', failureMessage: null };

test('paid after a few checks: the session is closed complete, then both confirmations are sent', async () => {
  progress = [pending, pending, pending, { state: 'paid', failureMessage: null }];
  expect(await run('cs_paid')).toEqual({ sessionId: 'cs_paid', status: 'complete' });
  expect(mocked.names()).toEqual([...Array(4).fill('checkCheckoutProgress'), 'closeCheckoutSession', 'sendCheckoutConfirmations']);
  expect(mocked.argsOf('closeCheckoutSession')).toEqual([expect.objectContaining({ sessionId: 'cs_paid', status: 'complete', failureMessage: null })]);
});

test('declined: the session is closed failed with the message, and no confirmation goes out', async () => {
  progress = [pending, { state: 'declined', failureMessage: 'Your card was declined.' }];
  expect(await run('cs_declined')).toEqual({ sessionId: 'cs_declined', status: 'failed' });
  expect(mocked.names()).toEqual(['checkCheckoutProgress', 'checkCheckoutProgress', 'closeCheckoutSession']);
  expect(mocked.argsOf('closeCheckoutSession')).toEqual([expect.objectContaining({ status: 'failed', failureMessage: 'Your card was declined.' })]);
});

test('no outcome within a day: the session is closed expired after checks that back off', async () => {
  progress = [pending];
  const started = await env.currentTimeMs();
  expect(await run('cs_stuck')).toEqual({ sessionId: 'cs_stuck', status: 'expired' });
  const closed = mocked.argsOf('closeCheckoutSession') as { status: string; at: string }[];
  expect(closed).toEqual([expect.objectContaining({ status: 'expired', failureMessage: null })]);
  expect(Date.parse(closed[0]!.at) - started).toBeGreaterThanOrEqual(DAY);
  expect(Date.parse(closed[0]!.at) - started).toBeLessThan(DAY + 10 * 60_000);
  // Quick checks for the first minutes, then every five minutes: a day costs a few hundred, not thousands.
  expect(mocked.argsOf('checkCheckoutProgress').length).toBeLessThan(400);
  expect(mocked.names()).not.toContain('sendCheckoutConfirmations');
});
