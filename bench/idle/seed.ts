/**
 * Seeds BENCH_IDLE_COUNT subscriptions that start a month from now, so their workflows record their
 * state and then sleep until next month: the idle-cost section's load.
 *
 * Why not the API: POST /v1/subscriptions waits for each workflow's first state write, about 7 a
 * second on this machine, so 10,000 would take over 20 minutes. Instead this writes what the API
 * writes, in bulk: customer and subscription rows (status `incomplete`, as the API leaves them) with
 * multi-row inserts (and one item per subscription), then starts each workflow with a Temporal client, with the same id, input and
 * search attributes as api/subscriptions/routes.ts, many at once. The workflows then take over
 * exactly as after an API create. It returns once every one is asleep: its state is in PostgreSQL
 * (`scheduled`) and its search attributes are upserted, which happens in the same workflow task that
 * starts the timer.
 *
 * Env: DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE (the bench stack's),
 * BENCH_IDLE_COUNT, BENCH_IDLE_BATCH (a label kept apart in the customers' emails when the section seeds
 * in several steps; default 0). Prints one JSON line on stdout.
 */
import { Client, Connection } from '@temporalio/client';
import { DateTime } from 'luxon';
import { loadConfig } from '../../config';
import { openDatabase } from '../../db/orm';
import type { RequiredEntityData } from '@mikro-orm/core';
import { Customer, Subscription, SubscriptionItem } from '../../db/entities';
import { newId } from '../../db/ids';
import { createRecurringPrice } from '../../test/support/fixtures';
import { subscriptionWorkflowId, type SubscriptionWorkflowInput } from '../../workflows/subscription/contract';
import type { subscriptionWorkflow } from '../../workflows/subscription/workflow';
import { BillingStatusAttribute, CustomerIdAttribute } from '../../workflows/shared/search-attributes';

const INSERT_BATCH = 1_000;
/** Workflow starts in flight; starts are cheap for the server, the worker's backlog is what grows. */
const START_CONCURRENCY = 64;
const SETTLE_TIMEOUT_MS = 30 * 60_000;

const seconds = (since: number): number => Math.round((Date.now() - since) / 100) / 10;

async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

async function main(): Promise<void> {
  const count = Number(process.env.BENCH_IDLE_COUNT);
  if (!Number.isInteger(count) || count < 1) throw new Error('BENCH_IDLE_COUNT must be a positive integer');
  const batch = process.env.BENCH_IDLE_BATCH ?? '0';
  const config = loadConfig();
  const orm = await openDatabase(config.databaseUrl);
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  try {
    let started = Date.now();
    const price = await createRecurringPrice(orm, { unit: 'month', count: 1, unitAmount: 1500, currency: 'USD' });
    const anchor = DateTime.utc().plus({ months: 1 }).toJSDate();
    const now = new Date();
    const customers = Array.from({ length: count }, (_, i): Customer => ({
      id: newId('customer'),
      email: `idle-${batch}-${i}@example.com`,
      name: `Idle customer ${i}`,
      currency: 'USD',
      timeZone: 'UTC',
      billingAddress: null,
      defaultPaymentMethod: 'pm_card_visa',
      gatewayCustomerId: null,
      accountOwnerEmail: null,
      metadata: {},
      createdAt: now,
      updatedAt: now,
    }));
    const subscriptions = customers.map((customer) => {
      const id = newId('subscription');
      return {
        id,
        customerId: customer.id,
        currency: price.currency,
        intervalUnit: 'month',
        intervalCount: 1,
        status: 'incomplete',
        collectionMethod: 'charge_automatically',
        billingAnchor: anchor,
        timeZone: customer.timeZone,
        startDate: anchor,
        currentPeriodIndex: null,
        currentPeriodStart: null,
        currentPeriodEnd: null,
        nextBillingDate: anchor,
        cancelAtPeriodEnd: false,
        canceledAt: null,
        pausedAt: null,
        workflowId: subscriptionWorkflowId(id),
        metadata: {},
        couponId: null,
        discountStartPeriod: null,
        discountAppliedAt: null,
        defaultTaxRateIds: [],
        fees: [],
        createdAt: now,
        updatedAt: now,
      } satisfies RequiredEntityData<Subscription>;
    });
    // One item each, as addSubscriptionRecord writes it.
    const items = subscriptions.map(
      (subscription) =>
        ({
          id: newId('subscriptionItem'),
          subscription: subscription.id,
          priceId: price.id,
          quantity: 1,
          unitAmount: price.unitAmount,
          position: 0,
          createdAt: now,
          updatedAt: now,
        }) satisfies RequiredEntityData<SubscriptionItem>,
    );
    const em = orm.em.fork();
    for (let i = 0; i < count; i += INSERT_BATCH) await em.insertMany(Customer, customers.slice(i, i + INSERT_BATCH));
    for (let i = 0; i < count; i += INSERT_BATCH) await em.insertMany(Subscription, subscriptions.slice(i, i + INSERT_BATCH));
    for (let i = 0; i < count; i += INSERT_BATCH) await em.insertMany(SubscriptionItem, items.slice(i, i + INSERT_BATCH));
    const insertSeconds = seconds(started);

    started = Date.now();
    await inParallel(count, START_CONCURRENCY, async (i) => {
      const subscription = subscriptions[i]!;
      const input: SubscriptionWorkflowInput = {
        subscriptionId: subscription.id,
        customerId: subscription.customerId,
        billingAnchor: anchor.toISOString(),
        timeZone: subscription.timeZone,
        interval: { unit: 'month', count: 1 },
      };
      await client.workflow.start<typeof subscriptionWorkflow>('subscriptionWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: subscription.workflowId,
        args: [input],
        typedSearchAttributes: [
          { key: CustomerIdAttribute, value: subscription.customerId },
          { key: BillingStatusAttribute, value: 'incomplete' },
        ],
      });
    });
    const startSeconds = seconds(started);

    // Asleep = state recorded in PostgreSQL and `scheduled` in Temporal's visibility (same task as the timer).
    started = Date.now();
    for (;;) {
      const recorded = await orm.em.fork().count(Subscription, { items: { $some: { priceId: price.id } }, status: 'scheduled' });
      // Visibility counts every scheduled subscription, so compare with all of them in PostgreSQL.
      const scheduled = await orm.em.fork().count(Subscription, { status: 'scheduled' });
      const asleep = recorded === count ? (await client.workflow.count(`${BillingStatusAttribute.name} = "scheduled"`)).count : 0;
      if (recorded === count && asleep >= scheduled) break;
      if (Date.now() - started > SETTLE_TIMEOUT_MS) throw new Error(`only ${recorded} of ${count} idle subscriptions recorded their state`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    console.log(JSON.stringify({ count, anchor: anchor.toISOString(), insertSeconds, startSeconds, settleSeconds: seconds(started) }));
  } finally {
    await connection.close();
    await orm.close(true);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
