/**
 * Instalment plans on the time-skipping test server, with the real activities, PostgreSQL, the
 * sandbox gateway and the outbox mailer: a year of instalments plays out in seconds.
 *
 * Rejected updates are tested through the API on the dev server (test/api/instalment-plans.test.ts)
 * and as rules (test/unit/domain/instalment-changes.test.ts): the time-skipping server answers a
 * rejected update with "update not found".
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Customer, Email, Instalment, InstalmentPlan, Invoice, InvoiceLine } from '../../db/entities';
import { INSTALMENTS_PER_RUN } from '../../workflows/instalment-plan/workflow';
import {
  editInstalmentUpdate,
  getInstalmentPlanQuery,
  payOffUpdate,
  resumePlanUpdate,
} from '../../workflows/instalment-plan/contract';
import { invoiceCollectionWorkflowId, voidInvoiceUpdate } from '../../workflows/invoice-collection/contract';
import { requireEnv } from '../support/env';
import { eventually } from '../support/eventually';
import { testBillingWorker } from '../support/billing-worker';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { createCustomer } from '../support/fixtures';
import { startInstalmentPlan, type PlanFixtureOptions } from '../support/instalment-fixtures';

const TASK_QUEUE = 'instalment-plan-test';
const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
let orm: MikroORM;
let worker: Worker;
let workerRun: Promise<void>;

beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});

afterAll(async () => {
  await orm?.close(true);
});

// A time-skipping server per test: one test's leftover timers cannot stall another's clock.
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  worker = await testBillingWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, orm });
  workerRun = worker.run();
});

afterEach(async () => {
  worker?.shutdown();
  await workerRun;
  await env?.teardown();
});

/** The records the API writes for a new plan, then its workflow, as POST /v1/instalment-plans does. */
async function startPlan(customer: Customer, options: PlanFixtureOptions) {
  return startInstalmentPlan(orm, env.client, TASK_QUEUE, customer, await env.currentTimeMs(), options);
}

const planRow = (id: string) => orm.em.fork().findOneOrFail(InstalmentPlan, { id });
const instalmentRows = (planId: string) => orm.em.fork().find(Instalment, { planId }, { orderBy: { number: 'asc' } });
const invoicesOf = (planId: string) => orm.em.fork().find(Invoice, { instalmentPlanId: planId }, { orderBy: { instalmentNumber: 'asc' } });
const emailsOf = (planId: string) => orm.em.fork().find(Email, { relatedId: planId }, { orderBy: { createdAt: 'asc' } });

test('a 12-month plan is reminded 3 days before each due date, invoiced on it, and paid down to zero', async () => {
  const customer = await createCustomer(orm);
  const { id, handle, schedule } = await startPlan(customer, {
    schedule: { method: 'equal', total: 1_000_00, count: 12, interval: { unit: 'month', count: 1 }, firstPaymentInDays: 10 },
    remindCustomer: true,
  });
  // 1000.00 / 12 = 83.33 with 4 cents over: the remainder lands on the first instalment.
  expect(schedule.instalments.map((i) => i.amount)).toEqual([83_37, ...Array(11).fill(83_33)]);

  const final = await handle.result(); // skips through a year of timers; every collection ends paid
  expect(final.status).toBe('completed');
  expect(final.balances).toMatchObject({ total: 1_000_00, paidAmount: 1_000_00, paymentCount: 12, remainingBalance: 0, nextPaymentDate: null });

  const plan = await planRow(id);
  expect(plan).toMatchObject({ status: 'completed', paidAmount: 1_000_00, paymentCount: 12, remainingBalance: 0, remainingPrincipal: 0, nextPaymentDate: null });

  const rows = await instalmentRows(id);
  const invoices = await invoicesOf(id);
  expect(invoices).toHaveLength(12);
  for (const [n, row] of rows.entries()) {
    expect(row.status).toBe('paid');
    // Reminded 3 days before the due date, invoiced on it (workflow time, recorded by the activities;
    // a timer fires a few milliseconds after its deadline).
    expect(row.remindedAt!.getTime() - (row.dueDate.getTime() - 3 * DAY)).toBeGreaterThanOrEqual(0);
    expect(row.remindedAt!.getTime() - (row.dueDate.getTime() - 3 * DAY)).toBeLessThan(1000);
    const invoice = invoices[n]!;
    expect(invoice).toMatchObject({ status: 'paid', total: row.amount, amountPaid: row.amount, instalmentNumber: row.number, id: row.invoiceId });
    expect(invoice.finalizedAt!.getTime() - row.dueDate.getTime()).toBeGreaterThanOrEqual(0);
    expect(invoice.finalizedAt!.getTime() - row.dueDate.getTime()).toBeLessThan(1000);
  }
  const lines = await orm.em.fork().find(InvoiceLine, { invoiceId: invoices[1]!.id });
  expect(lines.map((l) => l.description)).toEqual(['Instalment 2: Equipment lease']);

  // One reminder per instalment to the account manager and one to the customer: 24, no duplicates.
  const emails = await emailsOf(id);
  expect(emails.filter((e) => e.kind === 'instalment_reminder_owner' && e.to === 'manager@example.com')).toHaveLength(12);
  expect(emails.filter((e) => e.kind === 'instalment_reminder' && e.to === customer.email)).toHaveLength(12);
  expect(new Set(emails.map((e) => e.key)).size).toBe(emails.length);

  // `RECORD_HISTORIES=1 npm test` refreshes the fixture that test/replay replays on every run.
  if (process.env.RECORD_HISTORIES === '1') {
    writeFileSync(join(__dirname, '../replay/histories/instalment-plan-12-months.json'), historyToJSON(await handle.fetchHistory()));
  }
});

test('a long plan continues as new after a batch of instalments and still ends at zero', async () => {
  const customer = await createCustomer(orm);
  const count = INSTALMENTS_PER_RUN + 2;
  const { id, handle } = await startPlan(customer, {
    schedule: { method: 'equal', total: 2_600_00, count, interval: { unit: 'week', count: 1 }, firstPaymentInDays: 1 },
    reminderDaysBefore: 0,
  });
  const final = await handle.result(); // follows the chain of runs
  expect(final.balances).toMatchObject({ paidAmount: 2_600_00, paymentCount: count, remainingBalance: 0 });
  const latest = await handle.describe();
  expect(latest.runId).not.toBe(handle.firstExecutionRunId);
  expect(await invoicesOf(id)).toHaveLength(count);
});

test('paying a loan off early invoices the principal still owed once and waives the interest not yet due', async () => {
  const customer = await createCustomer(orm);
  const { id, handle, schedule } = await startPlan(customer, {
    schedule: { method: 'equal', total: 10_000_00, count: 12, interval: { unit: 'month', count: 1 }, annualInterestRate: '12', firstPaymentInDays: 0 },
    reminderDaysBefore: 0,
  });
  const [first, second] = schedule.instalments;

  // The first two instalments are invoiced and paid on their due dates.
  await env.sleep(Date.parse(second!.dueDate) - (await env.currentTimeMs()) + 60_000);
  await eventually(async () => expect((await planRow(id)).paymentCount).toBe(2));

  const view = await handle.executeUpdate(payOffUpdate);
  const payoff = view.instalments.find((i) => i.kind === 'payoff')!;
  expect(payoff.amount).toBe(second!.remainingPrincipal);
  expect(view.instalments.filter((i) => i.status === 'canceled')).toHaveLength(10);

  const final = await handle.result();
  expect(final.status).toBe('completed');
  const paid = first!.amount + second!.amount + second!.remainingPrincipal;
  expect(final.balances).toMatchObject({ paidAmount: paid, paymentCount: 3, remainingBalance: 0, remainingPrincipal: 0 });
  // Principal paid in full; only the first two months' interest was charged.
  expect(first!.principal + second!.principal + payoff.principal).toBe(10_000_00);
  expect(paid).toBeLessThan(schedule.total);

  const invoices = await invoicesOf(id);
  expect(invoices.map((i) => [i.instalmentNumber, i.total, i.status])).toEqual([
    [1, first!.amount, 'paid'],
    [2, second!.amount, 'paid'],
    [13, second!.remainingPrincipal, 'paid'],
  ]);
  // A loan's instalment invoice shows principal and interest apart.
  const lines = await orm.em.fork().find(InvoiceLine, { invoiceId: invoices[0]!.id }, { orderBy: { position: 'asc' } });
  expect(lines.map((l) => l.amount)).toEqual([first!.principal, first!.interest]);

  if (process.env.RECORD_HISTORIES === '1') {
    writeFileSync(join(__dirname, '../replay/histories/instalment-plan-loan-payoff.json'), historyToJSON(await handle.fetchHistory()));
  }
});

test('an edited future instalment is invoiced at its new amount and the difference moves to the other scheduled one', async () => {
  const customer = await createCustomer(orm);
  const { id, handle, schedule } = await startPlan(customer, {
    schedule: { method: 'equal', total: 400_00, count: 4, interval: { unit: 'month', count: 1 }, firstPaymentInDays: 0 },
    reminderDaysBefore: 0,
  });
  await env.sleep(Date.parse(schedule.instalments[1]!.dueDate) - (await env.currentTimeMs()) + 60_000);
  await eventually(async () => expect((await planRow(id)).paymentCount).toBe(2));

  const newDueDate = new Date(Date.parse(schedule.instalments[2]!.dueDate) + 5 * DAY).toISOString();
  const view = await handle.executeUpdate(editInstalmentUpdate, { args: [{ number: 3, amount: 50_00, dueDate: newDueDate }] });
  expect(view.instalments.map((i) => [i.number, i.amount, i.status])).toEqual([
    [1, 100_00, 'paid'],
    [2, 100_00, 'paid'],
    [3, 50_00, 'scheduled'],
    [4, 150_00, 'scheduled'],
  ]);
  expect(view.balances.total).toBe(400_00);

  const final = await handle.result();
  expect(final.balances).toMatchObject({ paidAmount: 400_00, paymentCount: 4, remainingBalance: 0 });
  const invoices = await invoicesOf(id);
  expect(invoices.map((i) => i.total)).toEqual([100_00, 100_00, 50_00, 150_00]);
  expect(invoices[2]!.finalizedAt!.getTime() - Date.parse(newDueDate)).toBeGreaterThanOrEqual(0);
  expect(invoices[2]!.finalizedAt!.getTime() - Date.parse(newDueDate)).toBeLessThan(1000);
});

describe('an instalment that fails for good', () => {
  /** A card that is declined permanently (expired): dunning gives up on the first attempt. */
  const failingCustomer = () => createCustomer(orm, { defaultPaymentMethod: 'pm_card_chargeDeclinedExpiredCard' });
  const threeMonthly = { method: 'equal' as const, total: 300_00, count: 3, interval: { unit: 'month' as const, count: 1 }, firstPaymentInDays: 0 };

  test('continue: the next instalments are still invoiced on their due dates', async () => {
    const { id, handle, schedule } = await startPlan(await failingCustomer(), { schedule: threeMonthly, reminderDaysBefore: 0, onPermanentFailure: 'continue' });
    await env.sleep(Date.parse(schedule.instalments[1]!.dueDate) - (await env.currentTimeMs()) + 60_000);
    await eventually(async () => {
      const rows = await instalmentRows(id);
      expect(rows.map((r) => r.status)).toEqual(['failed', 'failed', 'scheduled']);
    });
    expect((await handle.query(getInstalmentPlanQuery)).status).toBe('active');
    expect(await invoicesOf(id)).toHaveLength(2);
    expect((await planRow(id)).remainingBalance).toBe(300_00);
  });

  test('pause: nothing more is invoiced until the plan is resumed, then what fell due is invoiced at once', async () => {
    const { id, handle, schedule } = await startPlan(await failingCustomer(), { schedule: threeMonthly, reminderDaysBefore: 0, onPermanentFailure: 'pause' });
    await eventually(async () => expect((await planRow(id)).status).toBe('paused'));
    await env.sleep(Date.parse(schedule.instalments[2]!.dueDate) - (await env.currentTimeMs()) + DAY);
    expect(await invoicesOf(id)).toHaveLength(1); // #2 and #3 fell due while paused

    await handle.executeUpdate(resumePlanUpdate);
    await eventually(async () => expect(await invoicesOf(id)).toHaveLength(3));
    // The card still fails, so the plan pauses again.
    await eventually(async () => {
      expect((await instalmentRows(id)).map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
      expect((await planRow(id)).status).toBe('paused');
    });
  });

  test('cancel: the plan is canceled, the rest is marked overdue, and it closes once the failed invoice is settled', async () => {
    const { id, handle, schedule } = await startPlan(await failingCustomer(), { schedule: threeMonthly, reminderDaysBefore: 0, onPermanentFailure: 'cancel' });
    await eventually(async () => expect((await planRow(id)).status).toBe('canceled'));
    const plan = await planRow(id);
    expect(plan).toMatchObject({ cancellationReason: 'instalment_failed', remainingBalance: 300_00 });
    expect((await instalmentRows(id)).map((r) => r.status)).toEqual(['failed', 'overdue', 'overdue']);

    await env.sleep(Date.parse(schedule.instalments[2]!.dueDate) - (await env.currentTimeMs()) + DAY);
    expect(await invoicesOf(id)).toHaveLength(1);

    // The failed invoice is still being collected; once it is voided the plan has nothing open and ends.
    const [invoice] = await invoicesOf(id);
    await env.client.workflow.getHandle(invoiceCollectionWorkflowId(invoice!.id)).executeUpdate(voidInvoiceUpdate);
    const final = await handle.result();
    expect(final.status).toBe('canceled');
    expect(final.instalments.map((i) => i.status)).toEqual(['canceled', 'overdue', 'overdue']);
    expect(final.balances.remainingBalance).toBe(200_00);
  });
});
