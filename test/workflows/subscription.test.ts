/**
 * The subscription workflow on Temporal's time-skipping test server, with the real activities,
 * PostgreSQL, the sandbox gateway and the outbox mailer: months pass in seconds.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Duration } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { DateTime } from 'luxon';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Email, Invoice, Payment, Subscription } from '../../db/entities';
import { subscriptionWorkflow } from '../../workflows/subscription/workflow';
import {
  cancelSignal,
  cancelUpdate,
  getSubscriptionQuery,
  pauseSignal,
  pauseUpdate,
  resumeUpdate,
  subscriptionWorkflowId,
} from '../../workflows/subscription/contract';
import { BOUNDARIES_PER_RUN } from '../../workflows/subscription/workflow';
import { requireEnv } from '../support/env';
import { eventually } from '../support/eventually';
import { testBillingWorker } from '../support/billing-worker';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../support/fixtures';
import type { Customer, Price } from '../../db/entities';
import type { IntervalUnit } from '../../domain/frequency';

const TASK_QUEUE = 'subscription-workflow-test';

let env: TestWorkflowEnvironment;
let orm: MikroORM;
let worker: Worker;
let workerRun: Promise<void>;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  orm = await openDatabase(requireEnv('DATABASE_URL'));
  worker = await testBillingWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, orm });
  workerRun = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await orm?.close(true);
  await env?.teardown();
});

interface Started {
  handle: WorkflowHandle<typeof subscriptionWorkflow>;
  subscriptionId: string;
  customer: Customer;
  price: Price;
  anchor: Date;
}

async function startSubscription(opts: {
  paymentMethod?: string | null;
  unit?: IntervalUnit;
  count?: number;
  unitAmount?: number;
  quantity?: number;
  startInDays?: number;
  anchorIso?: string;
  collectionMethod?: 'charge_automatically' | 'send_invoice';
} = {}): Promise<Started> {
  const now = await env.currentTimeMs();
  const anchor = opts.anchorIso ? new Date(opts.anchorIso) : new Date(now + (opts.startInDays ?? 0) * 86_400_000);
  const customer = await createCustomer(orm, { defaultPaymentMethod: opts.paymentMethod === undefined ? 'pm_card_visa' : opts.paymentMethod });
  const price = await createRecurringPrice(orm, { unit: opts.unit, count: opts.count, unitAmount: opts.unitAmount });
  const subscription = await createSubscriptionRecord(orm, customer, price, {
    anchor,
    quantity: opts.quantity,
    collectionMethod: opts.collectionMethod,
  });
  const handle = await env.client.workflow.start(subscriptionWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: subscriptionWorkflowId(subscription.id),
    args: [
      {
        subscriptionId: subscription.id,
        customerId: customer.id,
        billingAnchor: anchor.toISOString(),
        timeZone: customer.timeZone,
        interval: { unit: price.intervalUnit!, count: price.intervalCount! },
      },
    ],
  });
  return { handle, subscriptionId: subscription.id, customer, price, anchor };
}

const invoicesOf = (subscriptionId: string) =>
  orm.em.fork().find(Invoice, { subscriptionId }, { orderBy: { periodIndex: 'asc' } });
const paymentsOf = (customerId: string) => orm.em.fork().find(Payment, { customerId }, { orderBy: { createdAt: 'asc' } });
const emailsOf = (customerId: string) => orm.em.fork().find(Email, { customerId }, { orderBy: { createdAt: 'asc' } });
const subscriptionRow = (id: string) => orm.em.fork().findOneOrFail(Subscription, { id });

/** Skips workflow time; the activities it wakes run in real time, so assertions use `eventually`. */
async function advance(duration: Duration): Promise<void> {
  await env.sleep(duration);
}

/** Skips workflow time to `instant` (a calendar date: months differ in length). */
async function advanceTo(instant: DateTime): Promise<void> {
  const ms = instant.toMillis() - (await env.currentTimeMs());
  if (ms > 0) await env.sleep(ms);
}

test('a monthly subscription is invoiced, charged and receipted every month for 13 months', async () => {
  const { handle, subscriptionId, customer, anchor } = await startSubscription({ unitAmount: 2500, quantity: 2 });

  // A day past 13 calendar months after the anchor: periods 0..13 have started, period 14 has not.
  // (Counted in days this depends on the start date: 13 months from Dec 2 are 396 days, from Feb 2 393.)
  await advanceTo(DateTime.fromJSDate(anchor, { zone: customer.timeZone }).plus({ months: 13, days: 1 }));
  await eventually(async () => expect((await subscriptionRow(subscriptionId)).currentPeriodIndex).toBe(13));
  await eventually(async () => expect((await emailsOf(customer.id)).filter((e) => e.status === 'sent')).toHaveLength(14));

  const invoices = await invoicesOf(subscriptionId);
  expect(invoices.map((i) => i.periodIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  for (const [n, invoice] of invoices.entries()) {
    // Each period starts n months after the anchor, computed from the anchor (no drift).
    const expectedStart = DateTime.fromJSDate(anchor, { zone: 'UTC' }).plus({ months: n }).toJSDate();
    expect(invoice.periodStart).toEqual(expectedStart);
    expect(invoice).toMatchObject({ status: 'paid', total: 5000, amountPaid: 5000, amountDue: 0, currency: 'USD' });
  }
  const payments = await paymentsOf(customer.id);
  expect(payments).toHaveLength(14);
  expect(new Set(payments.map((p) => p.invoiceId)).size).toBe(14); // one charge per invoice, never two
  expect(payments.every((p) => p.status === 'succeeded' && p.attempt === 1 && p.gatewayChargeId?.startsWith('ch_sandbox_'))).toBe(true);

  const receipts = (await emailsOf(customer.id)).filter((e) => e.kind === 'payment_receipt');
  expect(receipts).toHaveLength(14);
  expect(receipts.every((e) => e.status === 'sent' && e.to === customer.email && e.text.includes('$50.00'))).toBe(true);

  const state = await handle.query(getSubscriptionQuery);
  expect(state.status).toBe('active');
  expect(state.currentPeriod?.index).toBe(13);
  const row = await subscriptionRow(subscriptionId);
  expect(row.status).toBe('active');
  expect(row.currentPeriodIndex).toBe(13);
  expect(row.nextBillingDate?.toISOString()).toBe(state.nextBillingDate);
  expect(row.nextBillingDate).toEqual(DateTime.fromJSDate(anchor, { zone: 'UTC' }).plus({ months: 14 }).toJSDate());
});

test('a subscription anchored on Jan 31 bills on the last day of shorter months', async () => {
  const now = DateTime.fromMillis(await env.currentTimeMs(), { zone: 'UTC' });
  const jan31 = DateTime.utc(now.year + 1, 1, 31, 9, 0);
  const { subscriptionId } = await startSubscription({ anchorIso: jan31.toISO()! });

  await advance(jan31.plus({ months: 3, days: 1 }).diff(now).toMillis());

  const feb = DateTime.utc(now.year + 1, 2, 1).daysInMonth;
  await eventually(async () =>
    expect((await invoicesOf(subscriptionId)).map((i) => i.periodStart?.toISOString().slice(0, 10))).toEqual([`${now.year + 1}-01-31`, `${now.year + 1}-02-${feb}`, `${now.year + 1}-03-31`, `${now.year + 1}-04-30`]),
  );
});

test('nothing is billed before a future start date', async () => {
  const { handle, subscriptionId } = await startSubscription({ startInDays: 10 });
  await advance('9 days');
  expect(await invoicesOf(subscriptionId)).toHaveLength(0);
  expect((await subscriptionRow(subscriptionId)).status).toBe('scheduled');
  expect((await handle.query(getSubscriptionQuery)).status).toBe('scheduled');

  await advance('2 days');
  await eventually(async () => expect((await subscriptionRow(subscriptionId)).status).toBe('active'));
  expect(await invoicesOf(subscriptionId)).toHaveLength(1);
});

test('pause skips the periods in between; resume bills again on the anchor calendar', async () => {
  const { handle, subscriptionId, anchor } = await startSubscription();
  await advance('1 day');
  await eventually(async () => expect((await subscriptionRow(subscriptionId)).currentPeriodIndex).toBe(0));

  const paused = await handle.executeUpdate(pauseUpdate, { args: [{}] });
  expect(paused.status).toBe('paused');
  expect(paused.nextBillingDate).toBeNull();
  expect((await subscriptionRow(subscriptionId)).status).toBe('paused');

  // A second pause is rejected by the validator, before it reaches history.
  await expect(handle.executeUpdate(pauseUpdate, { args: [{}] })).rejects.toMatchObject({
    cause: { type: 'LifecycleRuleError', message: expect.stringMatching(/already paused/) },
  });

  const start = DateTime.fromJSDate(anchor, { zone: 'UTC' });
  await advanceTo(start.plus({ months: 2, days: 10 })); // the boundaries at +1 and +2 months pass while paused
  expect(await invoicesOf(subscriptionId)).toHaveLength(1);

  const resumed = await handle.executeUpdate(resumeUpdate);
  expect(resumed.status).toBe('active');
  const plus3 = start.plus({ months: 3 });
  expect(resumed.nextBillingDate).toBe(plus3.toISO());

  await advanceTo(plus3.plus({ days: 1 }));
  const invoices = await eventually(async () => {
    const rows = await invoicesOf(subscriptionId);
    expect(rows.map((i) => i.periodIndex)).toEqual([0, 3]);
    return rows;
  });
  expect(invoices[1]!.periodStart).toEqual(plus3.toJSDate());
});

test('cancel at period end keeps the paid period, then stops billing and completes the workflow', async () => {
  const { handle, subscriptionId, anchor } = await startSubscription();
  await advance('1 day');

  const scheduled = await handle.executeUpdate(cancelUpdate, { args: [{ atPeriodEnd: true }] });
  expect(scheduled).toMatchObject({ status: 'active', cancelAtPeriodEnd: true, nextBillingDate: null });
  expect((await subscriptionRow(subscriptionId)).cancelAtPeriodEnd).toBe(true);
  await expect(handle.executeUpdate(cancelUpdate, { args: [{ atPeriodEnd: true }] })).rejects.toMatchObject({
    cause: { type: 'LifecycleRuleError', message: expect.stringMatching(/already set to cancel/) },
  });

  const final = await handle.result(); // time skips to the period end
  const periodEnd = DateTime.fromJSDate(anchor, { zone: 'UTC' }).plus({ months: 1 }).toISO();
  expect(final).toMatchObject({ status: 'canceled', canceledAt: periodEnd });
  expect(await invoicesOf(subscriptionId)).toHaveLength(1);
  const row = await subscriptionRow(subscriptionId);
  expect(row.status).toBe('canceled');
  expect(row.canceledAt?.toISOString()).toBe(periodEnd);
  expect(row.nextBillingDate).toBeNull();
});

test('cancel now ends the workflow at once without billing again', async () => {
  const { handle, subscriptionId } = await startSubscription();
  await advance('1 day');
  const canceled = await handle.executeUpdate(cancelUpdate, { args: [{ atPeriodEnd: false }] });
  expect(canceled.status).toBe('canceled');
  expect((await handle.result()).status).toBe('canceled');
  expect((await subscriptionRow(subscriptionId)).status).toBe('canceled');
  expect(await invoicesOf(subscriptionId)).toHaveLength(1);
});

test('a subscription that is billed, paused, resumed and canceled at period end (recorded for replay)', async () => {
  const { handle, anchor } = await startSubscription();
  const start = DateTime.fromJSDate(anchor, { zone: 'UTC' });
  await advance('1 day');
  await handle.executeUpdate(pauseUpdate, { args: [{}] });
  await advanceTo(start.plus({ months: 1, days: 10 })); // the +1 month boundary passes while paused
  await handle.executeUpdate(resumeUpdate);
  await advanceTo(start.plus({ months: 2, days: 10 })); // period 2 is billed
  await handle.signal(cancelSignal, { atPeriodEnd: true });
  const final = await handle.result();
  expect(final).toMatchObject({ status: 'canceled', nextPeriodIndex: 3, currentPeriod: { index: 2 } });

  // `RECORD_HISTORIES=1 npm test` refreshes the fixture that test/replay replays on every run.
  if (process.env.RECORD_HISTORIES === '1') {
    const history = await handle.fetchHistory();
    writeFileSync(join(__dirname, '../replay/histories/subscription-lifecycle.json'), historyToJSON(history));
  }
});

test('signals from an operator (Temporal UI/CLI) drive the same handlers; invalid ones are ignored', async () => {
  const { handle, subscriptionId } = await startSubscription();
  await advance('1 day');
  await handle.signal(pauseSignal);
  await handle.signal(pauseSignal); // already paused: ignored, the workflow keeps running
  await advance('1 hour');
  expect((await handle.query(getSubscriptionQuery)).status).toBe('paused');
  await eventually(async () => expect((await subscriptionRow(subscriptionId)).status).toBe('paused'));

  await handle.signal(cancelSignal, { atPeriodEnd: false });
  expect((await handle.result()).status).toBe('canceled');
});

test('a declined card leaves the invoice open, marks the subscription past due and tells the customer', async () => {
  const { handle, subscriptionId, customer } = await startSubscription({ paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' });
  await advance('12 hours'); // before the first retry, a day after the failure
  await eventually(async () => expect((await subscriptionRow(subscriptionId)).status).toBe('past_due'));

  const [invoice] = await invoicesOf(subscriptionId);
  expect(invoice).toMatchObject({ status: 'open', amountPaid: 0, amountDue: 2500 });
  const [payment] = await paymentsOf(customer.id);
  expect(payment).toMatchObject({ status: 'failed', failureCode: 'insufficient_funds', attempt: 1 });
  const emails = await emailsOf(customer.id);
  expect(emails.map((e) => e.kind)).toEqual(['payment_failed']);
  expect(emails[0]!.text).toContain('insufficient_funds');
  expect((await handle.query(getSubscriptionQuery)).status).toBe('past_due');
  expect((await subscriptionRow(subscriptionId)).status).toBe('past_due');
});

test('with collection by invoice, each period is emailed with net-30 terms and nothing is charged', async () => {
  const { subscriptionId, customer, anchor } = await startSubscription({ collectionMethod: 'send_invoice', paymentMethod: null });
  // Day 32 on any date: past day 30 (the due date) and 31 (the reminder), past the +1 month boundary
  // (28 to 31 days), before +2 months (59 days or more). Net terms count days; the customer is in UTC.
  await advance('32 days');
  const invoices = await eventually(async () => {
    const rows = await invoicesOf(subscriptionId);
    expect(rows).toHaveLength(2);
    return rows;
  });
  expect(invoices.every((i) => i.status === 'open' && i.amountDue === 2500 && i.collectionMethod === 'send_invoice')).toBe(true);
  // Due 30 days after issue; issue is the period start plus the seconds the workflow took to wake up.
  const netTerm = invoices[0]!.dueDate!.getTime() - anchor.getTime();
  expect(netTerm).toBeGreaterThanOrEqual(30 * 86_400_000);
  expect(netTerm).toBeLessThan(30 * 86_400_000 + 60_000);
  expect(await paymentsOf(customer.id)).toHaveLength(0);
  // Both invoices emailed; the first, due on day 30, got its overdue reminder a day later.
  await eventually(async () =>
    expect((await emailsOf(customer.id)).map((e) => [e.kind, e.status]).sort()).toEqual([
      ['invoice_overdue', 'sent'],
      ['invoice_sent', 'sent'],
      ['invoice_sent', 'sent'],
    ]),
  );
  // The first invoice is a day past due and unpaid: the subscription is past due until it is paid.
  expect((await subscriptionRow(subscriptionId)).status).toBe('past_due');
});

test('a long-running subscription continues as new with its state and keeps billing', async () => {
  const { handle, subscriptionId } = await startSubscription({ unit: 'week' });
  const firstRunId = (await handle.describe()).runId;

  await advance((BOUNDARIES_PER_RUN + 4) * 7 * 86_400_000);

  await eventually(async () =>
    expect((await invoicesOf(subscriptionId)).map((i) => i.periodIndex)).toEqual(Array.from({ length: BOUNDARIES_PER_RUN + 5 }, (_, i) => i)),
  );
  const latest = env.client.workflow.getHandle(handle.workflowId);
  expect((await latest.describe()).runId).not.toBe(firstRunId);
  expect((await latest.query(getSubscriptionQuery)).currentPeriod?.index).toBe(BOUNDARIES_PER_RUN + 4);
});
