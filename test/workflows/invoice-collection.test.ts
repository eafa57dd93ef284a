/**
 * Collecting an invoice on the time-skipping test server, with the real activities, PostgreSQL, the
 * sandbox gateway and the outbox mailer: the dunning schedule plays out in seconds.
 *
 * Rejected updates are tested in test/unit/invoice-collection-rules.test.ts and through the API on the
 * dev server: the time-skipping server answers a rejected update with "update not found".
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Worker } from '@temporalio/worker';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Customer, Email, Invoice, Payment, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { SandboxGateway } from '../../activities/payments/sandbox-gateway';
import { PostgresSandboxLedger } from '../../activities/payments/sandbox-ledger';
import type { ChargeOutcome, ChargeRequest, PaymentGateway } from '../../activities/payments/gateway';
import type { DunningPolicy } from '../../domain/dunning';
import { subscriptionWorkflow } from '../../workflows/subscription/workflow';
import { getSubscriptionQuery, subscriptionWorkflowId } from '../../workflows/subscription/contract';
import { invoiceCollectionWorkflow } from '../../workflows/invoice-collection/workflow';
import {
  extendGraceUpdate,
  getCollectionQuery,
  invoiceCollectionWorkflowId,
  paymentEventSignal,
  paymentMethodUpdatedSignal,
  recordOfflinePaymentUpdate,
  retryNowUpdate,
  skipRetryUpdate,
  type CollectionMethod,
} from '../../workflows/invoice-collection/contract';
import { requireEnv } from '../support/env';
import { eventually } from '../support/eventually';
import { testBillingWorker } from '../support/billing-worker';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../support/fixtures';

const TASK_QUEUE = 'invoice-collection-test';
const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
let orm: MikroORM;
let worker: Worker;
let workerRun: Promise<void>;

/**
 * The sandbox gateway, except that charges for the customers listed here decline with a temporary
 * code on their first N attempts: a card that works again after a few days, which no test token does.
 */
class DeclineFirstAttempts implements PaymentGateway {
  readonly name = 'sandbox';
  readonly declines = new Map<string, number>();
  constructor(private readonly sandbox: SandboxGateway) {}
  charge(request: ChargeRequest): Promise<ChargeOutcome> {
    const attempt = Number(/-attempt-(\d+)$/.exec(request.idempotencyKey)?.[1]);
    const declineUpTo = this.declines.get(request.metadata.customer_id ?? '') ?? 0;
    if (attempt <= declineUpTo) {
      return Promise.resolve({ status: 'failed', failureCode: 'insufficient_funds', failureMessage: 'Your card has insufficient funds.' });
    }
    return this.sandbox.charge(request);
  }
  refund: PaymentGateway['refund'] = (request) => this.sandbox.refund(request);
  retrieveRefund: PaymentGateway['retrieveRefund'] = (request) => this.sandbox.retrieveRefund(request);
}

let gateway: DeclineFirstAttempts;

beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
  gateway = new DeclineFirstAttempts(new SandboxGateway(new PostgresSandboxLedger(orm)));
});

afterAll(async () => {
  await orm?.close(true);
});

// A time-skipping server per test: one test's leftover timers and updates cannot stall another's clock.
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  worker = await testBillingWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, orm, gateway });
  workerRun = worker.run();
});

afterEach(async () => {
  worker?.shutdown();
  await workerRun;
  await env?.teardown();
});

const paymentsOf = (invoiceId: string) => orm.em.fork().find(Payment, { invoiceId }, { orderBy: { createdAt: 'asc' } });
const emailsOf = (customerId: string) => orm.em.fork().find(Email, { customerId }, { orderBy: { createdAt: 'asc' } });
const invoiceRow = (id: string) => orm.em.fork().findOneOrFail(Invoice, { id });
const subscriptionRow = (id: string) => orm.em.fork().findOneOrFail(Subscription, { id });

/** A monthly subscription starting now; its first invoice goes to an invoice collection workflow. */
async function subscribe(customer: Customer, dunningPolicy?: DunningPolicy) {
  const anchor = new Date(await env.currentTimeMs());
  const price = await createRecurringPrice(orm, { unitAmount: 4200 });
  const subscription = await createSubscriptionRecord(orm, customer, price, { anchor });
  const handle = await env.client.workflow.start(subscriptionWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: subscriptionWorkflowId(subscription.id),
    args: [{ subscriptionId: subscription.id, customerId: customer.id, billingAnchor: anchor.toISOString(), timeZone: 'UTC', interval: { unit: 'month', count: 1 }, dunningPolicy }],
  });
  const invoice = await eventually(async () => {
    const found = await orm.em.fork().findOne(Invoice, { subscriptionId: subscription.id, periodIndex: 0 });
    expect(found).not.toBeNull();
    return found!;
  });
  const collection = env.client.workflow.getHandle<typeof invoiceCollectionWorkflow>(invoiceCollectionWorkflowId(invoice.id));
  await eventually(() => collection.describe()); // the subscription starts it right after writing the invoice
  return { handle, subscription, invoice, collection, anchor };
}

/** An open one-off invoice, as finalize leaves it, and its collection workflow. */
async function openInvoice(customer: Customer, { amount = 10_000, collectionMethod = 'charge_automatically' as CollectionMethod, dueInDays = 0 } = {}) {
  const em = orm.em.fork();
  const now = new Date(await env.currentTimeMs());
  const invoice = em.create(Invoice, {
    id: newId('invoice'),
    number: `COLL-${newId('invoice').slice(-12)}`,
    customerId: customer.id,
    subscriptionId: null,
    periodIndex: null,
    periodStart: null,
    periodEnd: null,
    status: 'open',
    currency: 'USD',
    subtotal: amount,
    tax: 0,
    total: amount,
    amountPaid: 0,
    amountDue: amount,
    collectionMethod,
    paymentTerms: null,
    dueDate: new Date(now.getTime() + dueInDays * DAY),
    paidAt: null,
    nextPaymentAttempt: null,
    pastDueAt: null,
    createdAt: now,
    updatedAt: now,
  });
  await em.flush();
  const collection = await env.client.workflow.start(invoiceCollectionWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: invoiceCollectionWorkflowId(invoice.id),
    args: [{ invoiceId: invoice.id, customerId: customer.id, collectionMethod, ownerWorkflowId: null }],
  });
  return { invoice, collection, issuedAt: now };
}

test('a temporary decline is retried on day +1 and +3, and succeeds on the 2nd retry', async () => {
  const customer = await createCustomer(orm);
  gateway.declines.set(customer.id, 2);
  const { subscription, invoice, collection, anchor } = await subscribe(customer);

  const final = await collection.result(); // skips through the retry timers
  expect(final).toMatchObject({ stage: 'paid', attempts: 3, pastDue: false });

  const payments = await paymentsOf(invoice.id);
  expect(payments.map((p) => [p.attempt, p.status, p.failureCode])).toEqual([
    [1, 'failed', 'insufficient_funds'],
    [2, 'failed', 'insufficient_funds'],
    [3, 'succeeded', null],
  ]);
  const paid = await invoiceRow(invoice.id);
  expect(paid).toMatchObject({ status: 'paid', amountPaid: 4200, amountDue: 0, attemptCount: 3, nextPaymentAttempt: null });
  // The 2nd retry ran on day +3 of the schedule (workflow time), not earlier.
  expect(paid.paidAt!.getTime() - anchor.getTime()).toBeGreaterThanOrEqual(3 * DAY);
  expect(paid.paidAt!.getTime() - anchor.getTime()).toBeLessThan(3 * DAY + 60_000);

  const emails = await eventually(async () => {
    const rows = await emailsOf(customer.id);
    expect(rows.map((e) => e.kind)).toEqual(['payment_failed', 'payment_failed', 'payment_receipt']);
    return rows;
  });
  // Each failure notice names the next try, on the customer's calendar.
  const day = (offset: number) => DateTime.fromMillis(anchor.getTime() + offset * DAY, { zone: 'UTC' }).toFormat('d LLL yyyy');
  expect(emails[0]!.text).toContain(`We will try again on ${day(1)}`);
  expect(emails[1]!.text).toContain(`We will try again on ${day(3)}`);
  await eventually(async () => expect((await subscriptionRow(subscription.id)).status).toBe('active'));

  // `RECORD_HISTORIES=1 npm test` refreshes the fixture that test/replay replays on every run.
  if (process.env.RECORD_HISTORIES === '1') {
    writeFileSync(join(__dirname, '../replay/histories/invoice-collection-dunning.json'), historyToJSON(await collection.fetchHistory()));
  }
});

test('retries exhausted: 4 attempts, the invoice is written off and the subscription canceled, as configured', async () => {
  const customer = await createCustomer(orm, {
    defaultPaymentMethod: 'pm_card_chargeDeclinedInsufficientFunds',
    accountOwnerEmail: 'owner@example.com',
  });
  const policy: DunningPolicy = { retryDaysAfterFirstFailure: [1, 3, 5], invoiceAfterFailure: 'uncollectible', subscriptionAfterFailure: 'canceled' };
  const { handle, subscription, invoice, collection, anchor } = await subscribe(customer, policy);

  await env.sleep('6 days'); // past the last retry, on day +5
  const final = await eventually(async () => {
    const view = await collection.query(getCollectionQuery);
    expect(view.stage).toBe('uncollectible');
    return view;
  });
  expect(final).toMatchObject({ attempts: 4, lastFailureCode: 'insufficient_funds', pastDue: true, nextRetryAt: null });
  const payments = await paymentsOf(invoice.id);
  expect(payments.map((p) => p.attempt)).toEqual([1, 2, 3, 4]);
  expect(payments.every((p) => p.status === 'failed')).toBe(true);
  const written = await invoiceRow(invoice.id);
  expect(written).toMatchObject({ status: 'uncollectible', amountDue: 4200, attemptCount: 4 });

  const emails = await eventually(async () => {
    const rows = await emailsOf(customer.id);
    expect(rows).toHaveLength(6);
    return rows;
  });
  expect(emails.map((e) => [e.kind, e.to])).toEqual([
    ['payment_failed', customer.email],
    ['payment_failed', customer.email],
    ['payment_failed', customer.email],
    ['payment_failed', customer.email],
    ['payment_failed_final', customer.email],
    ['payment_failed_owner', 'owner@example.com'],
  ]);
  expect(emails[3]!.text).not.toContain('We will try again');
  expect(emails[4]!.text).toContain('marked uncollectible');

  // Not `handle.result()`: awaiting a result lets the test server skip to the next timer, and the only
  // one left is the collection's 10-year execution timeout.
  await eventually(async () => expect((await handle.describe()).status.name).toBe('COMPLETED'));
  expect((await handle.query(getSubscriptionQuery)).status).toBe('canceled');
  const canceled = await subscriptionRow(subscription.id);
  expect(canceled.status).toBe('canceled');
  expect(canceled.canceledAt!.getTime() - anchor.getTime()).toBeGreaterThanOrEqual(5 * DAY);

  // Written off is not closed: the workflow outlives its canceled subscription and waits, charging
  // nothing, for a payment or a void (both through the API: test/api/invoice-actions.test.ts).
  await env.sleep('30 days');
  expect((await collection.describe()).status.name).toBe('RUNNING');
  expect((await collection.query(getCollectionQuery)).attempts).toBe(4);
  expect(await paymentsOf(invoice.id)).toHaveLength(4);
});

test('a permanent decline stops at once; a new card then collects the past-due invoice', async () => {
  const customer = await createCustomer(orm, { defaultPaymentMethod: 'pm_card_chargeDeclinedExpiredCard' });
  const { subscription, invoice, collection } = await subscribe(customer);

  await eventually(async () => expect(await collection.query(getCollectionQuery)).toMatchObject({ stage: 'awaiting_payment', pastDue: true, attempts: 1 }));
  await env.sleep('10 days'); // no retry on the schedule for a permanent decline
  expect((await collection.query(getCollectionQuery)).attempts).toBe(1);
  expect(await paymentsOf(invoice.id)).toHaveLength(1);
  expect((await invoiceRow(invoice.id)).pastDueAt).not.toBeNull();
  expect((await emailsOf(customer.id)).map((e) => e.kind)).toEqual(['payment_failed', 'payment_failed_final']);
  await eventually(async () => expect((await subscriptionRow(subscription.id)).status).toBe('past_due'));

  await orm.em.fork().nativeUpdate(Customer, { id: customer.id }, { defaultPaymentMethod: 'pm_card_visa' });
  await collection.signal(paymentMethodUpdatedSignal);
  expect(await collection.result()).toMatchObject({ stage: 'paid', attempts: 2 });
  expect(await invoiceRow(invoice.id)).toMatchObject({ status: 'paid', pastDueAt: null });
  await eventually(async () => expect((await subscriptionRow(subscription.id)).status).toBe('active'));
  const handle = env.client.workflow.getHandle(subscriptionWorkflowId(subscription.id));
  expect((await handle.query(getSubscriptionQuery)).delinquentInvoiceIds).toEqual([]);
});

test('operators can extend the grace period, skip a retry and retry now', async () => {
  const customer = await createCustomer(orm);
  gateway.declines.set(customer.id, 2);
  const { collection, issuedAt } = await openInvoice(customer);
  const retryAt = (days: number) => new Date(issuedAt.getTime() + days * DAY).getTime();

  const scheduled = await eventually(async () => {
    const view = await collection.query(getCollectionQuery);
    expect(view.stage).toBe('retry_scheduled');
    return view;
  });
  expect(Date.parse(scheduled.nextRetryAt!)).toBeGreaterThanOrEqual(retryAt(1));
  expect(Date.parse(scheduled.nextRetryAt!)).toBeLessThan(retryAt(1) + 60_000);

  const extended = await collection.executeUpdate(extendGraceUpdate, { args: [{ days: 2 }] });
  expect(extended.graceDays).toBe(2);
  expect(Date.parse(extended.nextRetryAt!) - Date.parse(scheduled.nextRetryAt!)).toBe(2 * DAY);

  const skipped = await collection.executeUpdate(skipRetryUpdate);
  expect(Date.parse(skipped.nextRetryAt!) - Date.parse(scheduled.nextRetryAt!)).toBe(4 * DAY); // day 3 + 2 grace

  const retried = await collection.executeUpdate(retryNowUpdate); // attempt 2: still declined
  expect(retried).toMatchObject({ attempts: 2, stage: 'retry_scheduled' });
  // Retry 1 was skipped and retry 2 used now: retry 3 (day 5 + 2 grace) is next.
  expect(Date.parse(retried.nextRetryAt!) - Date.parse(scheduled.nextRetryAt!)).toBe(6 * DAY);
  expect(await collection.result()).toMatchObject({ stage: 'paid', attempts: 3 }); // retry 3, on day 7, passes
});

test('an emailed invoice: reminder after the due date, a partial then a full offline payment', async () => {
  const customer = await createCustomer(orm, { defaultPaymentMethod: null });
  const { invoice, collection } = await openInvoice(customer, { amount: 30_000, collectionMethod: 'send_invoice', dueInDays: 15 });

  await eventually(async () => expect((await emailsOf(customer.id)).map((e) => e.kind)).toEqual(['invoice_sent']));
  await env.sleep('15 days');
  expect((await emailsOf(customer.id)).map((e) => e.kind)).toEqual(['invoice_sent']); // not overdue yet
  await env.sleep('2 days');
  await eventually(async () => expect((await emailsOf(customer.id)).map((e) => e.kind)).toEqual(['invoice_sent', 'invoice_overdue']));
  expect(await collection.query(getCollectionQuery)).toMatchObject({ stage: 'awaiting_payment', pastDue: true });

  const paidAt = new Date(await env.currentTimeMs()).toISOString();
  const offline = { method: 'bank_transfer' as const, paidAt, reference: 'TRX-1', sendReceipt: true };

  const partial = await collection.executeUpdate(recordOfflinePaymentUpdate, { args: [{ ...offline, amount: 10_000, requestKey: 'first' }] });
  expect(partial.stage).toBe('awaiting_payment');
  expect(await invoiceRow(invoice.id)).toMatchObject({ status: 'open', amountPaid: 10_000, amountDue: 20_000 });
  // The same request again records nothing new.
  await collection.executeUpdate(recordOfflinePaymentUpdate, { args: [{ ...offline, amount: 10_000, requestKey: 'first' }] });
  expect(await paymentsOf(invoice.id)).toHaveLength(1);

  const rest = await collection.executeUpdate(recordOfflinePaymentUpdate, { args: [{ ...offline, amount: 20_000, reference: 'TRX-2', requestKey: 'second' }] });
  expect(rest.stage).toBe('paid');
  expect(await collection.result()).toMatchObject({ stage: 'paid' });
  expect(await invoiceRow(invoice.id)).toMatchObject({ status: 'paid', amountPaid: 30_000, amountDue: 0, pastDueAt: null });
  const payments = await paymentsOf(invoice.id);
  expect(payments.map((p) => [p.gateway, p.paymentMethod, p.amount, p.reference, p.attempt])).toEqual([
    ['offline', 'bank_transfer', 10_000, 'TRX-1', null],
    ['offline', 'bank_transfer', 20_000, 'TRX-2', null],
  ]);
  await eventually(async () =>
    expect((await emailsOf(customer.id)).map((e) => e.kind)).toEqual(['invoice_sent', 'invoice_overdue', 'payment_receipt', 'payment_receipt']),
  );
});

test('gateway events: a duplicate is applied once and an older event never moves a paid invoice back', async () => {
  const customer = await createCustomer(orm, { defaultPaymentMethod: null });
  const { invoice, collection } = await openInvoice(customer, { amount: 5000, collectionMethod: 'send_invoice', dueInDays: 30 });
  await eventually(async () => expect((await emailsOf(customer.id)).map((e) => e.kind)).toEqual(['invoice_sent']));

  const now = await env.currentTimeMs();
  const event = (id: string, type: 'payment_succeeded' | 'payment_failed', offsetMs: number) => ({
    eventId: id,
    type,
    occurredAt: new Date(now + offsetMs).toISOString(),
    gatewayChargeId: 'pi_external',
    amount: 5000,
    failureCode: type === 'payment_failed' ? 'card_declined' : null,
  });
  await collection.signal(paymentEventSignal, event('evt_2', 'payment_succeeded', 0));
  await collection.signal(paymentEventSignal, event('evt_2', 'payment_succeeded', 0));
  await collection.signal(paymentEventSignal, event('evt_1', 'payment_failed', -60_000));

  expect(await collection.result()).toMatchObject({ stage: 'paid', pastDue: false });
  expect(await invoiceRow(invoice.id)).toMatchObject({ status: 'paid', amountPaid: 5000, amountDue: 0 });
  // Money that reached the gateway some other way still gets its payment record and receipt.
  expect((await paymentsOf(invoice.id)).map((p) => [p.status, p.amount, p.gatewayChargeId])).toEqual([['succeeded', 5000, 'pi_external']]);
  await eventually(async () => expect((await emailsOf(customer.id)).map((e) => e.kind)).toEqual(['invoice_sent', 'payment_receipt']));
  const history = await collection.fetchHistory();
  const applied = history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordGatewayPayment');
  expect(applied).toHaveLength(1);
});
