/**
 * Races between customer actions and the workflow's own database writes, on the time-skipping
 * server: the state write is slowed down so an update lands while it is in flight.
 */
import pino from 'pino';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Subscription } from '../../db/entities';
import { createActivities, type SubscriptionStateRecord } from '../../activities';
import { SandboxGateway } from '../../activities/payments/sandbox-gateway';
import { PostgresSandboxLedger } from '../../activities/payments/sandbox-ledger';
import { OutboxMailer } from '../../activities/email/outbox-mailer';
import { subscriptionWorkflow } from '../../workflows/subscription/workflow';
import { pauseSignal, resumeUpdate, subscriptionWorkflowId } from '../../workflows/subscription/contract';
import { requireEnv } from '../support/env';
import { workflowBundle } from '../support/billing-worker';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../support/fixtures';
import { eventually } from '../support/eventually';

const TASK_QUEUE = 'subscription-race-test';
let env: TestWorkflowEnvironment;
let orm: MikroORM;
let worker: Worker;
let workerRun: Promise<void>;
/** Resolves when a state write has started; the write then waits for `releaseWrite`. */
let writeStarted: () => void = () => undefined;
let releaseWrite: () => void = () => undefined;
let holdWrites = false;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  orm = await openDatabase(requireEnv('DATABASE_URL'));
  const activities = createActivities({
    orm,
    gateway: new SandboxGateway(new PostgresSandboxLedger(orm)),
    mailer: new OutboxMailer(),
    log: pino({ level: 'silent' }),
    emailFrom: 'billing@example.com',
    publicUrl: 'http://localhost',
    invoiceNumberPrefix: 'RACE-',
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: {
      ...activities,
      async recordSubscriptionState(record: SubscriptionStateRecord) {
        if (holdWrites) {
          holdWrites = false;
          writeStarted();
          await new Promise<void>((resolve) => (releaseWrite = resolve));
        }
        return activities.recordSubscriptionState(record);
      },
    },
  });
  workerRun = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await orm?.close(true);
  await env?.teardown();
});

test('a resume that lands while the state is being written is written too, and its update answers', async () => {
  const customer = await createCustomer(orm);
  const price = await createRecurringPrice(orm);
  const anchor = new Date(await env.currentTimeMs());
  const subscription = await createSubscriptionRecord(orm, customer, price, { anchor });
  const handle = await env.client.workflow.start(subscriptionWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: subscriptionWorkflowId(subscription.id),
    args: [{ subscriptionId: subscription.id, customerId: customer.id, billingAnchor: anchor.toISOString(), timeZone: 'UTC', interval: { unit: 'month', count: 1 } }],
  });
  await eventually(async () => expect((await orm.em.fork().findOneOrFail(Subscription, { id: subscription.id })).currentPeriodIndex).toBe(0));

  // An operator's pause signal makes the workflow write its state; hold that write in flight...
  const started = new Promise<void>((resolve) => (writeStarted = resolve));
  holdWrites = true;
  await handle.signal(pauseSignal);
  await started;
  // ...and resume through the API's update meanwhile: its change lands after the held write began.
  const resumed = handle.executeUpdate(resumeUpdate);
  await new Promise((resolve) => setTimeout(resolve, 500)); // let the update reach the workflow
  releaseWrite();

  const answered = await Promise.race([resumed, new Promise((resolve) => setTimeout(() => resolve('no answer in 10 s'), 10_000))]);
  expect(answered).toMatchObject({ status: 'active' });
  expect((await orm.em.fork().findOneOrFail(Subscription, { id: subscription.id })).status).toBe('active');
});
