/**
 * History size of the subscription workflow on the happy path, measured on Temporal's time-skipping
 * test server with the real activities (sandbox gateway, outbox mailer) against the bench stack's
 * PostgreSQL: a monthly subscription starting tomorrow is left to run until its first run continues
 * as new after BOUNDARIES_PER_RUN billing boundaries (3 years of workflow time, seconds of real time).
 *
 * Prints one JSON line on stdout:
 *   - activitiesBeforeDue / activitiesPerPeriod: what the engine baseline must run to match. Each
 *     period's invoice is collected by its own workflow (`invoice-<id>`): its activities count in
 *     activitiesPerPeriod too (`collectionActivities`), though the baseline runs them in one workflow
 *     and so leaves out the cost of starting a second one;
 *   - eventsPerPeriod / bytesPerPeriod: one billing boundary's share of the history (timer fired to
 *     the next timer started), the median over the run's periods;
 *   - firstRun: events and protobuf bytes of the whole first run, the longest run there is;
 *   - instalmentPlan: the same for an instalment plan (monthly, reminders 3 days before) run to its
 *     first continue-as-new after INSTALMENTS_PER_RUN invoiced instalments: events and bytes per
 *     instalment (from one instalment's invoice to the next: reminder, invoice, collection start,
 *     payment outcome and state writes), and the first run.
 * Needs DATABASE_URL (migrated) and TEMPORAL_TEST_SERVER_PATH; run by bench/sections/history.mjs.
 */
import { temporal } from '@temporalio/proto';
import { DateTime } from 'luxon';
import { openDatabase } from '../../db/orm';
import { subscriptionWorkflow, BOUNDARIES_PER_RUN } from '../../workflows/subscription/workflow';
import { subscriptionWorkflowId } from '../../workflows/subscription/contract';
import { invoiceCollectionWorkflowId } from '../../workflows/invoice-collection/contract';
import { Invoice } from '../../db/entities';
import { BillingStatusAttribute, CustomerIdAttribute } from '../../workflows/shared/search-attributes';
import { createTimeSkippingEnv } from '../../test/support/temporal-env';
import { testBillingWorker } from '../../test/support/billing-worker';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../../test/support/fixtures';
import { eventually } from '../../test/support/eventually';
import { startInstalmentPlan } from '../../test/support/instalment-fixtures';
import { INSTALMENTS_PER_RUN } from '../../workflows/instalment-plan/workflow';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { MikroORM } from '@mikro-orm/postgresql';
import { requireEnv } from '../../test/support/env';

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const eventBytes = (event: HistoryEvent): number => temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
const activities = (events: HistoryEvent[]): number =>
  events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).length;

/** Splits a run's events at each fired timer: [start segment, period 0, period 1, ...]. */
function segmentsByBoundary(events: HistoryEvent[]): HistoryEvent[][] {
  const segments: HistoryEvent[][] = [[]];
  for (const event of events) {
    if (event.eventType === EventType.EVENT_TYPE_TIMER_FIRED) segments.push([]);
    segments[segments.length - 1]!.push(event);
  }
  return segments;
}

/** Splits a run's events where each instalment's invoice is created: [before the first, instalment 1, ...]. */
function segmentsByInvoice(events: HistoryEvent[]): HistoryEvent[][] {
  const segments: HistoryEvent[][] = [[]];
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && scheduled === 'createInstalmentInvoice') segments.push([]);
    segments[segments.length - 1]!.push(event);
  }
  return segments;
}

async function measureInstalmentPlan(env: TestWorkflowEnvironment, orm: MikroORM) {
  const now = await env.currentTimeMs();
  const customer = await createCustomer(orm, { email: 'history-plan@example.com' });
  const count = INSTALMENTS_PER_RUN + 6;
  const { handle } = await startInstalmentPlan(orm, env.client, 'bench-history', customer, now, {
    schedule: { method: 'equal', total: count * 100_00, count, interval: { unit: 'month', count: 1 }, firstPaymentInDays: 1 },
    reminderDaysBefore: 3,
  });
  const firstRun = env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
  await env.sleep(DateTime.fromMillis(now, { zone: 'UTC' }).plus({ months: INSTALMENTS_PER_RUN, days: 2 }).toMillis() - now);
  await eventually(async () => {
    const { status } = await firstRun.describe();
    if (status.name !== 'CONTINUED_AS_NEW') throw new Error(`first run of the plan is ${status.name}`);
  }, { timeoutMs: 120_000, intervalMs: 200 });
  const history = await firstRun.fetchHistory();
  const events = history.events ?? [];
  // The last instalment of the run ends with continue-as-new; the others are alike.
  const instalments = segmentsByInvoice(events).slice(1, -1);
  return {
    workflowType: 'instalmentPlanWorkflow',
    interval: 'month',
    eventsPerInstalment: median(instalments.map((i) => i.length)),
    bytesPerInstalment: median(instalments.map((i) => i.reduce((sum, e) => sum + eventBytes(e), 0))),
    activitiesPerInstalment: median(instalments.map(activities)),
    firstRun: {
      instalments: INSTALMENTS_PER_RUN,
      events: events.length,
      bytes: temporal.api.history.v1.History.encode(history).finish().length,
      largestEventBytes: Math.max(...events.map(eventBytes)),
    },
  };
}

async function main(): Promise<void> {
  const env = await createTimeSkippingEnv();
  const orm = await openDatabase(requireEnv('DATABASE_URL'));
  const worker = await testBillingWorker({ connection: env.nativeConnection, taskQueue: 'bench-history', orm, invoiceNumberPrefix: 'BENCH-HIST-' });
  const running = worker.run();
  try {
    const now = await env.currentTimeMs();
    const anchor = DateTime.fromMillis(now, { zone: 'UTC' }).plus({ days: 1 });
    const customer = await createCustomer(orm, { email: 'history@example.com' });
    const price = await createRecurringPrice(orm, { unit: 'month', count: 1, unitAmount: 1500 });
    const subscription = await createSubscriptionRecord(orm, customer, price, { anchor: anchor.toJSDate() });
    // The same input and search attributes as POST /v1/subscriptions gives the workflow.
    const handle = await env.client.workflow.start(subscriptionWorkflow, {
      taskQueue: 'bench-history',
      workflowId: subscriptionWorkflowId(subscription.id),
      args: [{
        subscriptionId: subscription.id,
        customerId: customer.id,
        billingAnchor: anchor.toISO()!,
        timeZone: customer.timeZone,
        interval: { unit: 'month', count: 1 },
      }],
      typedSearchAttributes: [
        { key: CustomerIdAttribute, value: customer.id },
        { key: BillingStatusAttribute, value: 'incomplete' },
      ],
    });

    // Past the last boundary of the first run (boundary n is anchor + n months, n = 0..BOUNDARIES_PER_RUN-1).
    const pastFirstRun = anchor.plus({ months: BOUNDARIES_PER_RUN, days: 1 }).toMillis() - now;
    await env.sleep(pastFirstRun);
    const firstRun = env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
    await eventually(async () => {
      const { status } = await firstRun.describe();
      if (status.name !== 'CONTINUED_AS_NEW') throw new Error(`first run is ${status.name}`);
    }, { timeoutMs: 120_000, intervalMs: 200 });

    const history = await firstRun.fetchHistory();
    const events = history.events ?? [];
    const firstInvoice = await orm.em.fork().findOneOrFail(Invoice, { subscriptionId: subscription.id, periodIndex: 0 });
    const collectionHistory = await env.client.workflow.getHandle(invoiceCollectionWorkflowId(firstInvoice.id)).fetchHistory();
    const collectionActivities = activities(collectionHistory.events ?? []);
    const [start = [], ...periods] = segmentsByBoundary(events);
    // The last period ends with continue-as-new instead of the next timer; the others are all alike.
    const fullPeriods = periods.slice(0, -1);
    const instalmentPlan = await measureInstalmentPlan(env, orm);
    console.log(JSON.stringify({
      instalmentPlan,
      workflowType: 'subscriptionWorkflow',
      interval: 'month',
      activitiesBeforeDue: activities(start),
      activitiesPerPeriod: median(fullPeriods.map(activities)) + collectionActivities,
      collectionActivities,
      collectionEvents: collectionHistory.events?.length ?? 0,
      eventsAtStart: start.length,
      eventsPerPeriod: median(fullPeriods.map((p) => p.length)),
      bytesPerPeriod: median(fullPeriods.map((p) => p.reduce((sum, e) => sum + eventBytes(e), 0))),
      firstRun: {
        boundaries: periods.length,
        boundariesPerRun: BOUNDARIES_PER_RUN,
        events: events.length,
        bytes: temporal.api.history.v1.History.encode(history).finish().length,
        largestEventBytes: Math.max(...events.map(eventBytes)),
        endedWith: EventType[events[events.length - 1]?.eventType ?? 0],
      },
    }));
  } finally {
    worker.shutdown();
    await running;
    await orm.close(true);
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
