/**
 * The refund workflow on Temporal's time-skipping test server, with the real activities, PostgreSQL
 * and the sandbox gateway behind a scripted wrapper that can lose answers and hold refunds pending.
 * Also the refund activities on their own: repeated, they refund, count and email once.
 */
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { LockMode } from '@mikro-orm/core';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Email, Invoice, Payment, Refund } from '../../db/entities';
import { newId } from '../../db/ids';
import { createActivities, type ActivityDeps } from '../../activities';
import { refundIdempotencyKey } from '../../activities/refunds';
import { OutboxMailer } from '../../activities/email/outbox-mailer';
import { SandboxGateway } from '../../activities/payments/sandbox-gateway';
import { PostgresSandboxLedger } from '../../activities/payments/sandbox-ledger';
import {
  GatewayUnavailableError,
  type ChargeRequest,
  type PaymentGateway,
  type RefundOutcome,
  type RefundRequest,
} from '../../activities/payments/gateway';
import { refundWorkflow } from '../../workflows/refund/workflow';
import { refundWorkflowId } from '../../workflows/refund/contract';
import { createBillingWorker } from '../../worker/billing-worker';
import { requireEnv } from '../support/env';
import { eventually } from '../support/eventually';
import { workflowBundle } from '../support/billing-worker';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../support/fixtures';

const TASK_QUEUE = 'refund-workflow-test';

/** The sandbox, plus what a real gateway may do: lose an answer after refunding, settle a refund later. */
class ScriptedGateway implements PaymentGateway {
  readonly name = 'sandbox';
  readonly refundRequests: RefundRequest[] = [];
  /** Refund at the sandbox, then throw as if the answer was lost on the way back. */
  loseAnswers = 0;
  /** Answer refunds as pending, and lookups as pending this many times before settling. */
  holdPending = false;
  pendingLookups = 0;
  settleAs: 'succeeded' | 'failed' = 'succeeded';
  lookups = 0;

  constructor(private readonly inner: SandboxGateway) {}

  reset(): void {
    this.refundRequests.length = 0;
    this.loseAnswers = 0;
    this.holdPending = false;
    this.pendingLookups = 0;
    this.settleAs = 'succeeded';
    this.lookups = 0;
  }

  charge(request: ChargeRequest) {
    return this.inner.charge(request);
  }

  async refund(request: RefundRequest): Promise<RefundOutcome> {
    this.refundRequests.push(request);
    const outcome = await this.inner.refund(request);
    if (this.loseAnswers > 0) {
      this.loseAnswers -= 1;
      throw new GatewayUnavailableError('timeout waiting for the gateway');
    }
    if (this.holdPending && outcome.status === 'succeeded') return { status: 'pending', gatewayRefundId: outcome.gatewayRefundId };
    return outcome;
  }

  async retrieveRefund(gatewayRefundId: string): Promise<RefundOutcome> {
    this.lookups += 1;
    if (this.lookups <= this.pendingLookups) return { status: 'pending', gatewayRefundId };
    if (this.settleAs === 'failed') return { status: 'failed', gatewayRefundId, failureReason: 'expired_or_canceled_card' };
    return this.inner.retrieveRefund(gatewayRefundId);
  }
}

let env: TestWorkflowEnvironment;
let orm: MikroORM;
let worker: Worker;
let workerRun: Promise<void>;
let gateway: ScriptedGateway;
let deps: ActivityDeps;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  orm = await openDatabase(requireEnv('DATABASE_URL'));
  gateway = new ScriptedGateway(new SandboxGateway(new PostgresSandboxLedger(orm)));
  deps = {
    orm,
    gateway,
    mailer: new OutboxMailer(),
    log: pino({ level: 'silent' }),
    emailFrom: 'Billing <billing@example.com>',
    publicUrl: 'http://localhost:3000',
    invoiceNumberPrefix: `RF${randomUUID().slice(0, 6)}-`,
  };
  worker = await createBillingWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    deps,
  });
  workerRun = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await orm?.close(true);
  await env?.teardown();
});

beforeEach(() => gateway.reset());

/** A subscription invoice of 50.00 USD, charged through the sandbox: a succeeded payment to refund. */
async function paidInvoice(): Promise<{ payment: Payment; invoice: Invoice }> {
  const acts = createActivities(deps);
  const customer = await createCustomer(orm, { email: `refund-${randomUUID()}@example.com` });
  const price = await createRecurringPrice(orm, { unitAmount: 5000 });
  const anchor = new Date('2027-03-01T00:00:00Z');
  const subscription = await createSubscriptionRecord(orm, customer, price, { anchor });
  const invoice = await acts.createSubscriptionInvoice({
    subscriptionId: subscription.id,
    period: { index: 0, start: '2027-03-01T00:00:00.000Z', end: '2027-04-01T00:00:00.000Z' },
    issuedAt: anchor.toISOString(),
  });
  const charged = await acts.chargeInvoice({ invoiceId: invoice.invoiceId, attempt: 1, chargedAt: anchor.toISOString() });
  if (charged.outcome !== 'succeeded') throw new Error(`setup: the charge did not succeed: ${JSON.stringify(charged)}`);
  const em = orm.em.fork();
  return { payment: await em.findOneOrFail(Payment, { id: charged.paymentId }), invoice: await em.findOneOrFail(Invoice, { id: invoice.invoiceId }) };
}

/** The pending refund the API writes before it starts the workflow. */
async function pendingRefund(payment: Payment, amount: number, gatewayName = payment.gateway): Promise<Refund> {
  const em = orm.em.fork();
  const id = newId('refund');
  const refund = em.create(Refund, {
    id,
    paymentId: payment.id,
    invoiceId: payment.invoiceId,
    customerId: payment.customerId,
    amount,
    currency: payment.currency,
    reason: 'requested_by_customer',
    status: 'pending',
    gateway: gatewayName,
    gatewayRefundId: null,
    idempotencyKey: refundIdempotencyKey(id),
    failureReason: null,
    note: null,
    createdAt: new Date(),
    completedAt: null,
  });
  await em.flush();
  return refund;
}

const runRefund = (refund: Refund) =>
  env.client.workflow.execute(refundWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: refundWorkflowId(refund.id),
    args: [{ refundId: refund.id, paymentId: refund.paymentId }],
  });

async function reload(refund: Refund, payment: Payment) {
  const em = orm.em.fork();
  return {
    refund: await em.findOneOrFail(Refund, { id: refund.id }),
    payment: await em.findOneOrFail(Payment, { id: payment.id }),
    invoice: await em.findOneOrFail(Invoice, { id: payment.invoiceId }),
    receipts: await em.find(Email, { key: `refund_receipt:${refund.id}` }),
  };
}

/** `RECORD_HISTORIES=1 npm test` refreshes the fixtures that test/replay replays on every run. */
async function recordHistory(refund: Refund, file: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await env.client.workflow.getHandle(refundWorkflowId(refund.id)).fetchHistory();
  writeFileSync(join(__dirname, '../replay/histories', file), historyToJSON(history));
}

async function sandboxRefundsOf(gatewayChargeId: string): Promise<{ amount: string; status: string; idempotency_key: string }[]> {
  return orm.em
    .fork()
    .execute(`select amount, status, idempotency_key from sandbox_refunds where gateway_charge_id = ? order by created_at`, [gatewayChargeId]);
}

test('a lost gateway answer is retried with the same key: one refund at the gateway, counted once, one receipt', async () => {
  const { payment } = await paidInvoice();
  const refund = await pendingRefund(payment, 1200);
  gateway.loseAnswers = 1;

  const result = await runRefund(refund);

  expect(result).toEqual({ refundId: refund.id, status: 'succeeded', failureReason: null });
  expect(gateway.refundRequests.map((r) => r.idempotencyKey)).toEqual([refund.idempotencyKey, refund.idempotencyKey]);
  expect(gateway.refundRequests[0]).toMatchObject({ gatewayChargeId: payment.gatewayChargeId, amount: 1200, reason: 'requested_by_customer' });
  expect(await sandboxRefundsOf(payment.gatewayChargeId!)).toEqual([{ amount: '1200', status: 'succeeded', idempotency_key: refund.idempotencyKey }]);

  const after = await reload(refund, payment);
  expect(after.refund).toMatchObject({ status: 'succeeded', gatewayRefundId: expect.stringMatching(/^re_sandbox_/), failureReason: null });
  expect(after.refund.completedAt).toBeInstanceOf(Date);
  expect(after.payment.amountRefunded).toBe(1200);
  expect(after.invoice.amountRefunded).toBe(1200);
  expect(after.invoice.status).toBe('paid');
  expect(after.receipts).toHaveLength(1);
  expect(after.receipts[0]).toMatchObject({ kind: 'refund_receipt', status: 'sent', relatedId: refund.id });
  expect(after.receipts[0]?.subject).toBe(`Refund of $12.00 for invoice ${after.invoice.number}`);
  expect(after.receipts[0]?.text).toContain('Reason: Requested by you');
  // The shared branding partials frame the receipt (company name from the seeded company profile).
  expect(after.receipts[0]?.html).toMatch(/^<!doctype html>/i);
  expect(after.receipts[0]?.html).toContain('</html>');

  await recordHistory(refund, 'refund-happy-path.json');
});

test('a refund the gateway holds pending is checked again later and completed when it settles', async () => {
  const { payment } = await paidInvoice();
  const refund = await pendingRefund(payment, 5000);
  gateway.holdPending = true;
  gateway.pendingLookups = 2;

  const result = await runRefund(refund);

  expect(result.status).toBe('succeeded');
  expect(gateway.lookups).toBe(3);
  expect(gateway.refundRequests).toHaveLength(1);
  const after = await reload(refund, payment);
  expect(after.refund.status).toBe('succeeded');
  expect(after.payment.amountRefunded).toBe(5000);
  expect(after.invoice.amountRefunded).toBe(5000);
  expect(after.receipts).toHaveLength(1);

  await recordHistory(refund, 'refund-pending-then-settled.json');
});

test('while the gateway holds it pending, the refund stays pending with the gateway id, and counts only once settled', async () => {
  const { payment } = await paidInvoice();
  const refund = await pendingRefund(payment, 700);
  gateway.holdPending = true;
  gateway.pendingLookups = Number.MAX_SAFE_INTEGER;

  // Started without awaiting its result, the workflow's clock stands still in its first wait.
  const handle = await env.client.workflow.start(refundWorkflow, { taskQueue: TASK_QUEUE, workflowId: refundWorkflowId(refund.id), args: [{ refundId: refund.id, paymentId: payment.id }] });
  const recorded = await eventually(async () => {
    const row = await orm.em.fork().findOneOrFail(Refund, { id: refund.id });
    expect(row.gatewayRefundId).not.toBeNull();
    return row;
  });
  expect(recorded).toMatchObject({ status: 'pending', gatewayRefundId: expect.stringMatching(/^re_sandbox_/), completedAt: null });
  expect((await reload(refund, payment)).payment.amountRefunded).toBe(0);

  gateway.pendingLookups = 0;
  await expect(handle.result()).resolves.toMatchObject({ status: 'succeeded' });
  const after = await reload(refund, payment);
  expect(after.refund.gatewayRefundId).toBe(recorded.gatewayRefundId);
  expect(after.payment.amountRefunded).toBe(700);
});

test('a refund that fails at the gateway releases its amount and sends no receipt', async () => {
  const { payment } = await paidInvoice();
  const refund = await pendingRefund(payment, 2500);
  gateway.holdPending = true;
  gateway.settleAs = 'failed';

  const result = await runRefund(refund);

  expect(result).toEqual({ refundId: refund.id, status: 'failed', failureReason: 'expired_or_canceled_card' });
  const after = await reload(refund, payment);
  expect(after.refund).toMatchObject({ status: 'failed', failureReason: 'expired_or_canceled_card' });
  expect(after.payment.amountRefunded).toBe(0);
  expect(after.invoice.amountRefunded).toBe(0);
  expect(after.receipts).toHaveLength(0);
});

test('a payment taken through another gateway fails the refund without calling this one', async () => {
  const { payment } = await paidInvoice();
  const refund = await pendingRefund(payment, 100, 'stripe');

  const result = await runRefund(refund);

  expect(result.status).toBe('failed');
  expect(result.failureReason).toMatch(/^RefundNotExecutable: .*stripe gateway, but this worker uses sandbox/);
  expect(gateway.refundRequests).toHaveLength(0);
  expect((await reload(refund, payment)).payment.amountRefunded).toBe(0);
});

test('an offline payment is refunded without the gateway and receipted', async () => {
  const acts = createActivities(deps);
  const customer = await createCustomer(orm, { email: `offline-${randomUUID()}@example.com`, defaultPaymentMethod: null });
  const price = await createRecurringPrice(orm, { unitAmount: 8000 });
  const anchor = new Date('2027-05-01T00:00:00Z');
  const subscription = await createSubscriptionRecord(orm, customer, price, { anchor, collectionMethod: 'send_invoice' });
  const invoice = await acts.createSubscriptionInvoice({
    subscriptionId: subscription.id,
    period: { index: 0, start: '2027-05-01T00:00:00.000Z', end: '2027-06-01T00:00:00.000Z' },
    issuedAt: anchor.toISOString(),
  });
  const paid = await acts.recordOfflinePayment({
    invoiceId: invoice.invoiceId,
    amount: 8000,
    method: 'bank_transfer',
    paidAt: anchor.toISOString(),
    reference: 'TRF-1',
    requestKey: 'offline-test',
  });
  const payment = await orm.em.fork().findOneOrFail(Payment, { id: paid.paymentId });
  expect(payment.gateway).toBe('offline');
  const refund = await pendingRefund(payment, 3000);

  const result = await runRefund(refund);

  expect(result.status).toBe('succeeded');
  expect(gateway.refundRequests).toHaveLength(0);
  const after = await reload(refund, payment);
  expect(after.refund).toMatchObject({ status: 'succeeded', gatewayRefundId: null, gateway: 'offline' });
  expect(after.payment.amountRefunded).toBe(3000);
  expect(after.invoice.amountRefunded).toBe(3000);
  expect(after.receipts).toHaveLength(1);
  expect(after.receipts[0]?.text).toContain('the way you paid it');
});

describe('a workflow started before its refund is committed (as the API does)', () => {
  /** The API's transaction: lock the payment, insert the refund, start the workflow, then commit or roll back a moment later. */
  async function startInsideTransaction(payment: Payment, outcome: 'commit' | 'rollback') {
    const refundId = newId('refund');
    let started: Awaited<ReturnType<typeof env.client.workflow.start<typeof refundWorkflow>>> | undefined;
    const transaction = orm.em.fork().transactional(async (em) => {
      await em.findOneOrFail(Payment, { id: payment.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      em.create(Refund, {
        id: refundId,
        paymentId: payment.id,
        invoiceId: payment.invoiceId,
        customerId: payment.customerId,
        amount: 400,
        currency: payment.currency,
        reason: null,
        status: 'pending',
        gateway: payment.gateway,
        gatewayRefundId: null,
        idempotencyKey: refundIdempotencyKey(refundId),
        failureReason: null,
        note: null,
        createdAt: new Date(),
        completedAt: null,
      });
      await em.flush();
      started = await env.client.workflow.start(refundWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: refundWorkflowId(refundId),
        args: [{ refundId, paymentId: payment.id }],
      });
      // Long enough for the worker to run the first activity into the payment row lock.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      if (outcome === 'rollback') throw new Error('rolled back');
    });
    if (outcome === 'rollback') await expect(transaction).rejects.toThrow('rolled back');
    else await transaction;
    return { refundId, handle: started! };
  }

  test('committed: the first activity waits for the commit, then refunds', async () => {
    const { payment } = await paidInvoice();

    const { refundId, handle } = await startInsideTransaction(payment, 'commit');

    await expect(handle.result()).resolves.toEqual({ refundId, status: 'succeeded', failureReason: null });
    expect(gateway.refundRequests).toHaveLength(1);
    expect((await orm.em.fork().findOneOrFail(Payment, { id: payment.id })).amountRefunded).toBe(400);
  });

  test('rolled back: the workflow finds no refund and never calls the gateway', async () => {
    const { payment } = await paidInvoice();

    const { refundId, handle } = await startInsideTransaction(payment, 'rollback');

    await expect(handle.result()).rejects.toThrow();
    expect(gateway.refundRequests).toHaveLength(0);
    expect(await sandboxRefundsOf(payment.gatewayChargeId!)).toEqual([]);
    expect(await orm.em.fork().findOne(Refund, { id: refundId })).toBeNull();
  });
});

describe('the refund activities, repeated', () => {
  test('calling each activity twice for the same refund refunds once at the gateway, counts once and emails once', async () => {
    const acts = createActivities(deps);
    const { payment } = await paidInvoice();
    const refund = await pendingRefund(payment, 1800);
    const completedAt = '2027-03-02T00:00:00.000Z';

    const first = await acts.refundAtGateway({ refundId: refund.id, paymentId: payment.id });
    const replay = await acts.refundAtGateway({ refundId: refund.id, paymentId: payment.id });
    expect(replay).toEqual(first);
    await acts.completeRefund({ refundId: refund.id, result: first, completedAt });
    await acts.completeRefund({ refundId: refund.id, result: replay, completedAt });
    // After completion the activity answers from the record without asking the gateway again.
    const afterCompletion = await acts.refundAtGateway({ refundId: refund.id, paymentId: payment.id });
    const emailIds = [await acts.sendRefundReceipt({ refundId: refund.id }), await acts.sendRefundReceipt({ refundId: refund.id })];

    expect(first).toEqual({ status: 'succeeded', gatewayRefundId: expect.stringMatching(/^re_sandbox_/), failureReason: null });
    expect(afterCompletion).toEqual(first);
    expect(gateway.refundRequests).toHaveLength(2);
    expect(await sandboxRefundsOf(payment.gatewayChargeId!)).toHaveLength(1);
    const after = await reload(refund, payment);
    expect(after.payment.amountRefunded).toBe(1800);
    expect(after.invoice.amountRefunded).toBe(1800);
    expect(after.refund.completedAt?.toISOString()).toBe(completedAt);
    expect(new Set(emailIds).size).toBe(1);
    expect(after.receipts).toHaveLength(1);
  });

  test('a receipt is refused for a refund that has not succeeded', async () => {
    const acts = createActivities(deps);
    const { payment } = await paidInvoice();
    const refund = await pendingRefund(payment, 100);

    await expect(acts.sendRefundReceipt({ refundId: refund.id })).rejects.toMatchObject({ type: 'RefundNotExecutable', nonRetryable: true });
  });
});
