/**
 * Routing Stripe webhook events against real PostgreSQL and the Temporal dev server: an invoice's
 * collection workflow is started on a queue no worker polls, so each signal it receives stays in its
 * history to read. An event reaches the right workflow as `paymentEvent`; an event type nobody acts
 * on is ignored; an event delivered twice, even at once, is stored and signalled once; an event
 * Temporal does not take stays waiting for the redelivery.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { openDatabase, type MikroORM } from '../../../db/orm';
import { Invoice, WebhookEvent } from '../../../db/entities';
import { newId } from '../../../db/ids';
import { StripeWebhookRouter, TemporalUnavailableError, type StripeEventEnvelope } from '../../../services/webhooks/webhook-routing';
import { invoiceCollectionWorkflowId, paymentEventSignal } from '../../../workflows/invoice-collection/contract';
import { requireEnv } from '../../support/env';
import { createCustomer } from '../../support/fixtures';

const TASK_QUEUE = `service-tests-${randomUUID()}`;
const CREATED = 1_772_000_000; // seconds, as Stripe sends `created`
let orm: MikroORM;
let connection: Connection;
let temporal: Client;
let router: StripeWebhookRouter;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
  connection = await Connection.connect({ address: requireEnv('TEMPORAL_ADDRESS') });
  temporal = new Client({ connection, namespace: requireEnv('TEMPORAL_NAMESPACE') });
  router = new StripeWebhookRouter({ orm, temporal, signalTimeoutMs: 5000 });
});
afterAll(async () => {
  await connection?.close();
  await orm?.close(true);
});

/** An open invoice and, unless told otherwise, its collection workflow (started, never run). */
async function openInvoice({ collecting = true } = {}): Promise<string> {
  const customer = await createCustomer(orm, { email: `webhook-${randomUUID()}@example.com` });
  const em = orm.em.fork();
  const now = new Date();
  const invoice = em.create(Invoice, {
    id: newId('invoice'),
    number: `WH-${randomUUID()}`,
    customerId: customer.id,
    subscriptionId: null,
    periodIndex: null,
    periodStart: null,
    periodEnd: null,
    status: 'open',
    currency: 'USD',
    subtotal: 5000,
    tax: 0,
    total: 5000,
    amountPaid: 0,
    amountDue: 5000,
    collectionMethod: 'charge_automatically',
    paymentTerms: 'due_on_receipt',
    dueDate: now,
    memo: null,
    footer: null,
    finalizedAt: now,
    voidedAt: null,
    markedUncollectibleAt: null,
    paidAt: null,
    nextPaymentAttempt: null,
    pastDueAt: null,
    createdAt: now,
    updatedAt: now,
  });
  await em.flush();
  if (collecting) {
    await temporal.workflow.start('invoiceCollectionWorkflow', {
      workflowId: invoiceCollectionWorkflowId(invoice.id),
      taskQueue: TASK_QUEUE,
      args: [{ invoiceId: invoice.id, customerId: customer.id, collectionMethod: 'charge_automatically', ownerWorkflowId: null }],
    });
  }
  return invoice.id;
}

const event = (type: string, object: Record<string, unknown>): StripeEventEnvelope => ({
  id: `evt_${randomUUID().replaceAll('-', '')}`,
  type,
  created: CREATED,
  api_version: '2026-08-26',
  livemode: false,
  data: { object },
});
const succeeded = (invoiceId: string) => event('payment_intent.succeeded', { id: `pi_${randomUUID()}`, amount: 5000, amount_received: 5000, metadata: { invoice_id: invoiceId } });

/** The paymentEvent signals the invoice's collection workflow received, in order. */
async function signalsTo(invoiceId: string): Promise<unknown[]> {
  const history = await temporal.workflow.getHandle(invoiceCollectionWorkflowId(invoiceId)).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((s) => s?.signalName === paymentEventSignal.name)
    .map((s) => defaultPayloadConverter.fromPayload(s!.input!.payloads![0]!));
}

async function deliver(e: StripeEventEnvelope) {
  const { id } = await router.store(e);
  const result = await router.route(id, 'delivery');
  return { id, result };
}

const row = (id: string) => orm.em.fork().findOneOrFail(WebhookEvent, { id });

describe('StripeWebhookRouter', () => {
  it('signals a payment outcome to the collection workflow of the invoice it concerns', async () => {
    const invoiceId = await openInvoice();
    const other = await openInvoice();
    const paid = succeeded(invoiceId);
    const { id, result } = await deliver(paid);
    expect(result?.processed).toBe(true);
    expect(await row(id)).toMatchObject({ status: 'routed', routedTo: invoiceCollectionWorkflowId(invoiceId), invoiceId, attempts: 1, error: null });
    expect(await signalsTo(invoiceId)).toEqual([
      {
        eventId: paid.id,
        type: 'payment_succeeded',
        occurredAt: new Date(CREATED * 1000).toISOString(),
        gatewayChargeId: paid.data.object.id,
        amount: 5000,
        failureCode: null,
      },
    ]);
    expect(await signalsTo(other)).toEqual([]);

    const declined = event('payment_intent.payment_failed', { id: `pi_${randomUUID()}`, amount: 5000, last_payment_error: { decline_code: 'insufficient_funds' }, metadata: { invoice_id: other } });
    await deliver(declined);
    expect(await signalsTo(other)).toEqual([expect.objectContaining({ eventId: declined.id, type: 'payment_failed', amount: 5000, failureCode: 'insufficient_funds' })]);
  });

  it('ignores an event type nobody acts on, and charge events that repeat a payment intent, signalling nothing', async () => {
    const invoiceId = await openInvoice();
    const unknown = await deliver(event('customer.updated', { id: 'cus_x', metadata: { invoice_id: invoiceId } }));
    expect(await row(unknown.id)).toMatchObject({ status: 'ignored', error: 'customer.updated is not an event type the billing workflows act on.', routedTo: null });
    const repeat = await deliver(event('charge.succeeded', { id: 'ch_x', metadata: { invoice_id: invoiceId } }));
    expect(await row(repeat.id)).toMatchObject({ status: 'ignored', routedTo: null });
    expect(await signalsTo(invoiceId)).toEqual([]);
  });

  it('stores and signals an event delivered twice, or twice at once, only once', async () => {
    const invoiceId = await openInvoice();
    const paid = succeeded(invoiceId);
    const first = await deliver(paid);
    const again = await router.store(paid);
    expect(again).toEqual({ id: first.id, inserted: false });
    expect((await router.route(again.id, 'delivery'))?.processed).toBe(false);

    const otherInvoiceId = await openInvoice();
    const concurrent = succeeded(otherInvoiceId);
    const stored = await Promise.all([router.store(concurrent), router.store(concurrent)]);
    expect(stored.map((s) => s.inserted).sort()).toEqual([false, true]);
    const routed = await Promise.all(stored.map((s) => router.route(s.id, 'delivery')));
    expect(routed.map((r) => r?.processed).sort()).toEqual([false, true]);

    expect(await signalsTo(invoiceId)).toHaveLength(1);
    expect(await signalsTo(otherInvoiceId)).toHaveLength(1);
    expect(await orm.em.fork().count(WebhookEvent, { eventId: { $in: [paid.id, concurrent.id] } })).toBe(2);
  });

  it('marks an event unroutable when no invoice or no running collection matches', async () => {
    const nowhere = await deliver(event('payment_intent.succeeded', { id: `pi_${randomUUID()}`, amount: 100 }));
    expect((await row(nowhere.id)).status).toBe('unroutable');
    const idle = await openInvoice({ collecting: false });
    const notCollecting = await deliver(succeeded(idle));
    expect(await row(notCollecting.id)).toMatchObject({ status: 'unroutable', invoiceId: idle, error: expect.stringContaining('is not running') });
  });

  it('keeps an event Temporal does not take as received, with the error, for the redelivery', async () => {
    const invoiceId = await openInvoice();
    const closed = Connection.lazy({ address: '127.0.0.1:1' });
    const unreachable = new StripeWebhookRouter({ orm, temporal: new Client({ connection: closed }), signalTimeoutMs: 1000 });
    const { id } = await unreachable.store(succeeded(invoiceId));
    await expect(unreachable.route(id, 'delivery')).rejects.toBeInstanceOf(TemporalUnavailableError);
    expect(await row(id)).toMatchObject({ status: 'received', attempts: 1, routedTo: null, processedAt: null, error: expect.stringContaining('Temporal did not take the signal') });
    // The redelivery, with Temporal back, routes it.
    expect((await router.route(id, 'delivery'))?.processed).toBe(true);
    expect(await row(id)).toMatchObject({ status: 'routed', attempts: 2 });
    expect(await signalsTo(invoiceId)).toHaveLength(1);
    await closed.close().catch(() => undefined);
  });
});
