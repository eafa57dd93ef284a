/**
 * A worker whose workflow cache is far smaller than the subscriptions it runs, as production's is
 * (WORKER_MAX_CACHED_WORKFLOWS, 50 by default, beside thousands asleep): every wake finds its workflow
 * evicted and rebuilds it by replaying its history. Billing must come out the same as with everything cached:
 * each period invoiced and paid once, in order, on the time-skipping server with the real activities.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Invoice, Payment, Subscription } from '../../db/entities';
import { subscriptionWorkflow } from '../../workflows/subscription/workflow';
import { subscriptionWorkflowId } from '../../workflows/subscription/contract';
import { requireEnv } from '../support/env';
import { eventually } from '../support/eventually';
import { testBillingWorker } from '../support/billing-worker';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../support/fixtures';

const TASK_QUEUE = 'workflow-cache-eviction-test';
const HOUR = 3_600_000;
const SUBSCRIPTIONS = 6;
/** The SDK's minimum with the cache on: every other workflow task replays. */
const CACHE = 2;

let orm: MikroORM;
let env: TestWorkflowEnvironment;
let worker: Worker;
let run: Promise<void>;

beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
  env = await createTimeSkippingEnv();
  worker = await testBillingWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, orm, maxCachedWorkflows: CACHE });
  run = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await run;
  await env?.teardown();
  await orm?.close(true);
});

/** Noon on the 2nd of a month: no month-end clamping, whatever day the test runs. */
const addMonths = (date: Date, months: number) => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 2, 12));

test('the worker runs with the cache size it was given', () => {
  expect(worker.options.maxCachedWorkflows).toBe(CACHE);
});

test(`${SUBSCRIPTIONS} monthly subscriptions on a cache of ${CACHE} bill three periods each, once each, in order`, async () => {
  const anchor = addMonths(new Date(await env.currentTimeMs()), 1);
  const started = await Promise.all(
    Array.from({ length: SUBSCRIPTIONS }, async (_, i) => {
      const customer = await createCustomer(orm, { email: `evicted-${i}@example.com` });
      const price = await createRecurringPrice(orm, { unitAmount: 1000 + i });
      const subscription = await createSubscriptionRecord(orm, customer, price, { anchor });
      await env.client.workflow.start(subscriptionWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: subscriptionWorkflowId(subscription.id),
        args: [{ subscriptionId: subscription.id, customerId: customer.id, billingAnchor: anchor.toISOString(), timeZone: 'UTC', interval: { unit: 'month', count: 1 } }],
      });
      return { subscriptionId: subscription.id, unitAmount: 1000 + i };
    }),
  );

  for (const period of [0, 1, 2]) {
    const remaining = addMonths(anchor, period).getTime() + HOUR - (await env.currentTimeMs());
    if (remaining > 0) await env.sleep(remaining);
    await eventually(async () => {
      const rows = await orm.em.fork().find(Subscription, { id: { $in: started.map((s) => s.subscriptionId) } });
      expect(rows.map((r) => [r.currentPeriodIndex, r.nextBillingDate?.toISOString()])).toEqual(
        rows.map(() => [period, addMonths(anchor, period + 1).toISOString()]),
      );
    }, { timeoutMs: 90_000, intervalMs: 250 });
  }

  const em = orm.em.fork();
  for (const { subscriptionId, unitAmount } of started) {
    const invoices = await em.find(Invoice, { subscriptionId }, { orderBy: { periodStart: 'asc' } });
    expect(invoices.map((i) => [i.periodStart?.toISOString(), i.total])).toEqual([0, 1, 2].map((p) => [addMonths(anchor, p).toISOString(), unitAmount]));
    await eventually(async () => {
      const paid = await orm.em.fork().find(Invoice, { subscriptionId, status: 'paid' });
      expect(paid).toHaveLength(3);
    }, { timeoutMs: 60_000, intervalMs: 250 });
    const payments = await em.find(Payment, { invoiceId: { $in: invoices.map((i) => i.id) }, status: 'succeeded' });
    expect(payments.map((p) => p.invoiceId).sort()).toEqual(invoices.map((i) => i.id).sort());
  }
});
