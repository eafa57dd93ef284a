/**
 * Stripe webhooks through the real API, PostgreSQL and Temporal dev server: signature checks, one
 * stored row and one signal per event id, routing to `invoice-<invoiceId>`, and nothing dropped.
 *
 * The target of each routed event is a workflow started with the collection workflow's id and type on
 * a task queue no worker polls: it stays running and records every signal in its history, so the test
 * reads exactly what the webhook sent, independent of what the collection workflow does with it.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import pino from 'pino';
import Stripe from 'stripe';
import { buildApp } from '../../api/app';
import { StripeWebhookRouter, type StripeEventEnvelope } from '../../services/webhooks/webhook-routing';
import { newId } from '../../db/ids';
import { invoiceCollectionWorkflowId, type PaymentEvent } from '../../workflows/invoice-collection/contract';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { createCustomer } from '../support/fixtures';
import { TEST_RATE_LIMITS } from '../support/rate-limits';

const SECRET = `whsec_test_${randomUUID().replace(/-/g, '')}`;
const NO_WORKER_QUEUE = `webhook-targets-${randomUUID()}`;

let api: ApiHarness;
let app: FastifyInstance;
const targets: WorkflowHandle[] = [];

beforeAll(async () => {
  api = await startApiHarness();
  app = await buildApp({ orm: api.orm, temporal: api.temporal, taskQueue: NO_WORKER_QUEUE, logger: pino({ level: 'silent' }), stripeWebhookSecret: SECRET, rateLimits: TEST_RATE_LIMITS });
  await app.ready();
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.terminate('webhook test finished').catch(() => undefined)));
  await app?.close();
  await api?.close();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

interface StripeEventInput {
  id?: string;
  type: string;
  created?: number;
  object: Record<string, unknown>;
}

function stripeEvent({ id = `evt_${randomUUID().replace(/-/g, '')}`, type, created = nowSeconds(), object }: StripeEventInput) {
  return { id, object: 'event', api_version: '2026-10-28.endive', created, livemode: false, pending_webhooks: 1, request: { id: null }, type, data: { object } };
}

/** Posts a payload as Stripe does: raw JSON body, signed `Stripe-Signature` header. */
async function deliver(
  payload: string | object,
  { secret = SECRET, timestamp, header, target = app }: { secret?: string; timestamp?: number; header?: string | null; target?: FastifyInstance } = {},
) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signature = header === undefined ? Stripe.webhooks.generateTestHeaderString({ payload: body, secret, ...(timestamp ? { timestamp } : {}) }) : header;
  const response = await target.inject({
    method: 'POST',
    url: '/v1/webhooks/stripe',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(signature === null ? {} : { 'stripe-signature': signature }) },
    payload: body,
  });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

/** An open invoice (and optionally its charge attempt holding a PaymentIntent id), written as the collection activities would. */
async function openInvoice({ paymentIntent }: { paymentIntent?: string } = {}): Promise<string> {
  const customer = await createCustomer(api.orm);
  const id = newId('invoice');
  const em = api.orm.em.fork();
  await em.execute(
    `insert into invoices (id, number, customer_id, status, currency, subtotal, tax, total, amount_due, collection_method, due_date)
     values (?, ?, ?, 'open', 'USD', 2500, 0, 2500, 2500, 'charge_automatically', now())`,
    [id, `WH-${randomUUID()}`, customer.id],
  );
  if (paymentIntent) {
    await em.execute(
      `insert into payments (id, invoice_id, customer_id, attempt, amount, currency, status, gateway, payment_method, gateway_charge_id, idempotency_key)
       values (?, ?, ?, 1, 2500, 'USD', 'succeeded', 'stripe', 'pm_card_visa', ?, ?)`,
      [newId('payment'), id, customer.id, paymentIntent, `webhook-test-${randomUUID()}`],
    );
  }
  return id;
}

async function collectionTarget(invoiceId: string): Promise<WorkflowHandle> {
  const handle = await api.temporal.workflow.start('invoiceCollectionWorkflow', {
    workflowId: invoiceCollectionWorkflowId(invoiceId),
    taskQueue: NO_WORKER_QUEUE,
    args: [],
  });
  targets.push(handle);
  return handle;
}

/** The `paymentEvent` signals the workflow received, in history order. */
async function paymentSignals(handle: WorkflowHandle): Promise<PaymentEvent[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a) => a?.signalName === 'paymentEvent')
    .map((a) => defaultPayloadConverter.fromPayload<PaymentEvent>(a!.input!.payloads![0]!));
}

async function storedRows(eventId: string): Promise<{ id: string; status: string }[]> {
  return api.orm.em.fork().execute(`select id, status from webhook_events where event_id = ?`, [eventId]);
}

const succeeded = (invoiceId: string | null, intent: string, created?: number) =>
  stripeEvent({
    type: 'payment_intent.succeeded',
    created,
    object: { id: intent, object: 'payment_intent', amount: 2500, amount_received: 2500, currency: 'usd', metadata: invoiceId ? { invoice_id: invoiceId } : {} },
  });

describe('signature', () => {
  test('a missing Stripe-Signature header is a 400 invalid_signature and stores nothing', async () => {
    const event = succeeded('in_nowhere', 'pi_missing_header');
    const res = await deliver(event, { header: null });
    expect(res).toEqual({ status: 400, body: { error: expect.objectContaining({ type: 'invalid_request_error', code: 'invalid_signature', param: 'Stripe-Signature' }) } });
    expect(await storedRows(event.id)).toEqual([]);
  });

  test('a signature made with another secret, or over another body, is a 400 invalid_signature', async () => {
    const event = succeeded('in_nowhere', 'pi_bad_signature');
    const wrongSecret = await deliver(event, { secret: 'whsec_not_ours' });
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body.error.code).toBe('invalid_signature');

    const body = JSON.stringify(event);
    const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
    const tampered = await deliver(body.replace('"amount":2500', '"amount":1'), { header });
    expect(tampered.status).toBe(400);
    expect(tampered.body.error.code).toBe('invalid_signature');

    const garbage = await deliver(event, { header: 'not a stripe signature' });
    expect(garbage.status).toBe(400);
    expect(garbage.body.error.code).toBe('invalid_signature');
    expect(await storedRows(event.id)).toEqual([]);
  });

  test('a correctly signed request older than 300 s is refused as outside the tolerance', async () => {
    const event = succeeded('in_nowhere', 'pi_stale');
    const stale = await deliver(event, { timestamp: nowSeconds() - 301 });
    expect(stale.status).toBe(400);
    expect(stale.body.error).toMatchObject({ code: 'timestamp_outside_tolerance', param: 'Stripe-Signature' });
    expect(stale.body.error.message).toMatch(/300 s/);
    expect(await storedRows(event.id)).toEqual([]);

    // Just inside the window it is accepted (and kept, here as unroutable: no such invoice).
    const fresh = await deliver(event, { timestamp: nowSeconds() - 240 });
    expect(fresh.status).toBe(200);
  });

  test('without STRIPE_WEBHOOK_SECRET the endpoint says it is not configured (404), never a 500', async () => {
    const res = await deliver(succeeded('in_nowhere', 'pi_unconfigured'), { target: api.app });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('webhook_endpoint_not_configured');
    expect(res.body.error.message).toMatch(/STRIPE_WEBHOOK_SECRET/);
  });

  test('a signed payload that is not an event is a 400 naming the field', async () => {
    const res = await deliver({ id: 'evt_no_type', created: nowSeconds(), data: { object: {} } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_payload', param: 'type' });
  });
});

describe('routing', () => {
  test('payment_intent.succeeded is stored and signalled to invoice-<id> with the event time', async () => {
    const invoiceId = await openInvoice();
    const target = await collectionTarget(invoiceId);
    const created = nowSeconds() - 60;
    const event = succeeded(invoiceId, `pi_${randomUUID().slice(0, 8)}`, created);

    const res = await deliver(event);
    expect(res).toEqual({ status: 200, body: { received: true, id: expect.stringMatching(/^we_/), event_id: event.id, status: 'routed', duplicate: false } });
    expect(await paymentSignals(target)).toEqual([
      {
        eventId: event.id,
        type: 'payment_succeeded',
        occurredAt: new Date(created * 1000).toISOString(),
        gatewayChargeId: event.data.object.id,
        amount: 2500,
        failureCode: null,
      },
    ]);

    const stored = await api.call('operator', 'GET', `/v1/webhook-events/${res.body.id}`);
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({
      object: 'webhook_event',
      event_id: event.id,
      type: 'payment_intent.succeeded',
      api_version: '2026-10-28.endive',
      livemode: false,
      created: new Date(created * 1000).toISOString(),
      status: 'routed',
      routed_to: `invoice-${invoiceId}`,
      invoice: invoiceId,
      error: null,
      attempts: 1,
      processed_at: expect.any(String),
    });
    expect(stored.body.payload).toEqual(event);
  });

  test('a duplicate delivery, sequential or concurrent, is stored once and signalled once', async () => {
    const invoiceId = await openInvoice();
    const target = await collectionTarget(invoiceId);
    const event = succeeded(invoiceId, 'pi_duplicate');

    const concurrent = await Promise.all([deliver(event), deliver(event), deliver(event)]);
    expect(concurrent.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(concurrent.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    const again = await deliver(event);
    expect(again.body).toMatchObject({ status: 'routed', duplicate: true, id: concurrent[0]!.body.id });

    expect(await storedRows(event.id)).toHaveLength(1);
    expect((await paymentSignals(target)).map((s) => s.eventId)).toEqual([event.id]);
    const stored = await api.call('admin', 'GET', `/v1/webhook-events/${again.body.id}`);
    expect(stored.body.attempts).toBe(1);
  });

  test('concurrent deliveries of one event signal once: the second waits on the row lock, then finds it routed', async () => {
    const invoiceId = await openInvoice();
    // A Temporal client whose signal is held open, so the first delivery is mid-routing when the second arrives.
    const signals: PaymentEvent[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let signalStarted!: () => void;
    const started = new Promise<void>((resolve) => (signalStarted = resolve));
    const heldTemporal = {
      withDeadline: <R>(_deadline: number, call: () => Promise<R>) => call(),
      workflow: {
        getHandle: () => ({
          signal: async (_signal: unknown, paymentEvent: PaymentEvent) => {
            signals.push(paymentEvent);
            signalStarted();
            await gate;
          },
        }),
      },
    } as unknown as Client;
    const router = new StripeWebhookRouter({ orm: api.orm, temporal: heldTemporal, signalTimeoutMs: 5_000 });
    const event = succeeded(invoiceId, 'pi_race') as unknown as StripeEventEnvelope;

    const stored = await router.store(event);
    const first = router.route(stored.id, 'delivery');
    await started;
    expect(await router.store(event)).toEqual({ id: stored.id, inserted: false });
    const second = router.route(stored.id, 'delivery');
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();

    const [a, b] = await Promise.all([first, second]);
    expect(a).toMatchObject({ processed: true, row: { status: 'routed' } });
    expect(b).toMatchObject({ processed: false, row: { status: 'routed', attempts: 1 } });
    expect(signals.map((s) => s.eventId)).toEqual([event.id]);
  });

  test('out-of-order events are both stored and forwarded in arrival order, each with its own occurredAt', async () => {
    // No metadata: the invoice is found through the payment attempt that holds the PaymentIntent.
    const intent = `pi_${randomUUID().slice(0, 8)}`;
    const invoiceId = await openInvoice({ paymentIntent: intent });
    const target = await collectionTarget(invoiceId);
    const t0 = nowSeconds() - 120;
    const earlierFailure = stripeEvent({
      type: 'payment_intent.payment_failed',
      created: t0,
      object: { id: intent, object: 'payment_intent', amount: 2500, last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds' }, metadata: {} },
    });
    const laterSuccess = succeeded(null, intent, t0 + 30);

    // Stripe delivers the later event first.
    expect((await deliver(laterSuccess)).body.status).toBe('routed');
    expect((await deliver(earlierFailure)).body.status).toBe('routed');

    expect(await paymentSignals(target)).toEqual([
      expect.objectContaining({ eventId: laterSuccess.id, type: 'payment_succeeded', occurredAt: new Date((t0 + 30) * 1000).toISOString() }),
      expect.objectContaining({ eventId: earlierFailure.id, type: 'payment_failed', occurredAt: new Date(t0 * 1000).toISOString(), failureCode: 'insufficient_funds' }),
    ]);

    const list = await api.call('operator', 'GET', `/v1/webhook-events?invoice=${invoiceId}`);
    expect(list.body.data.map((e: { event_id: string; created: string }) => [e.event_id, e.created])).toEqual([
      // Newest received first; `created` shows the order they happened in.
      [earlierFailure.id, new Date(t0 * 1000).toISOString()],
      [laterSuccess.id, new Date((t0 + 30) * 1000).toISOString()],
    ]);
  });

  test('charge.refunded and charge.dispute.created reach the invoice through the charge\'s PaymentIntent', async () => {
    const intent = `pi_${randomUUID().slice(0, 8)}`;
    const invoiceId = await openInvoice({ paymentIntent: intent });
    const target = await collectionTarget(invoiceId);
    const refunded = stripeEvent({ type: 'charge.refunded', object: { id: 'ch_refunded', object: 'charge', payment_intent: intent, amount: 2500, amount_refunded: 1000, metadata: {} } });
    const disputed = stripeEvent({
      type: 'charge.dispute.created',
      object: { id: 'dp_1', object: 'dispute', charge: 'ch_refunded', payment_intent: intent, amount: 1500, reason: 'product_not_received', metadata: {} },
    });

    expect((await deliver(refunded)).body.status).toBe('routed');
    expect((await deliver(disputed)).body.status).toBe('routed');
    expect(await paymentSignals(target)).toEqual([
      expect.objectContaining({ eventId: refunded.id, type: 'refunded', amount: 1000, gatewayChargeId: intent }),
      expect.objectContaining({ eventId: disputed.id, type: 'dispute_opened', amount: 1500, failureCode: 'product_not_received' }),
    ]);
  });
});

describe('nothing is dropped', () => {
  test('an event for no known invoice is kept as unroutable with the reason and listed for operators', async () => {
    const event = succeeded('in_does_not_exist', 'pi_orphan');
    const res = await deliver(event);
    expect(res.body).toMatchObject({ status: 'unroutable', duplicate: false });

    const list = await api.call('operator', 'GET', '/v1/webhook-events?status=unroutable&type=payment_intent.succeeded&limit=100');
    const listed = list.body.data.find((e: { event_id: string }) => e.event_id === event.id);
    expect(listed).toMatchObject({ status: 'unroutable', invoice: null, routed_to: null, attempts: 1 });
    expect(listed.error).toBe("No invoice found: metadata.invoice_id 'in_does_not_exist' is no invoice here, and no payment has gateway_charge_id 'pi_orphan'.");

    // A redelivery does not change it; an operator's retry is what routes it again.
    expect((await deliver(event)).body).toMatchObject({ status: 'unroutable', duplicate: true });
  });

  test('an invoice whose workflow is not running is unroutable; once it runs, an operator retry routes the event', async () => {
    const invoiceId = await openInvoice();
    const event = succeeded(invoiceId, 'pi_early');
    const res = await deliver(event);
    expect(res.body.status).toBe('unroutable');
    const stored = await api.call('operator', 'GET', `/v1/webhook-events/${res.body.id}`);
    expect(stored.body).toMatchObject({ invoice: invoiceId, routed_to: null });
    expect(stored.body.error).toBe(`Workflow invoice-${invoiceId} is not running (the invoice is open), so nothing is collecting this invoice.`);

    const target = await collectionTarget(invoiceId);
    const retried = await api.call('operator', 'POST', `/v1/webhook-events/${res.body.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'routed', routed_to: `invoice-${invoiceId}`, error: null, attempts: 2 });
    expect((await paymentSignals(target)).map((s) => s.eventId)).toEqual([event.id]);

    // Routed events are not sent again.
    const again = await api.call('admin', 'POST', `/v1/webhook-events/${res.body.id}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('webhook_event_not_retryable');
    expect((await paymentSignals(target))).toHaveLength(1);
  });

  test('an event type we do not act on is kept as ignored, payload and all', async () => {
    const event = stripeEvent({ type: 'customer.updated', object: { id: 'cus_stripe_1', object: 'customer', email: 'a@example.com' } });
    const res = await deliver(event);
    expect(res.body).toMatchObject({ status: 'ignored', duplicate: false });
    const stored = await api.call('operator', 'GET', `/v1/webhook-events/${res.body.id}`);
    expect(stored.body).toMatchObject({ status: 'ignored', error: 'customer.updated is not an event type the billing workflows act on.', payload: event });
    const list = await api.call('operator', 'GET', '/v1/webhook-events?status=ignored&type=customer.updated');
    expect(list.body.data.map((e: { id: string }) => e.id)).toContain(res.body.id);
    expect((await api.call('operator', 'POST', `/v1/webhook-events/${res.body.id}/retry`)).status).toBe(409);
  });

  test('with Temporal unreachable the API answers 503 and keeps the event received; the redelivery routes it', async () => {
    const invoiceId = await openInvoice();
    const target = await collectionTarget(invoiceId);
    const event = succeeded(invoiceId, 'pi_temporal_down');

    // An API process whose Temporal connection goes nowhere (port 1 refuses connections).
    const deadConnection = Connection.lazy({ address: '127.0.0.1:1' });
    const cutOff = await buildApp({
      orm: api.orm,
      temporal: new Client({ connection: deadConnection }),
      taskQueue: NO_WORKER_QUEUE,
      logger: pino({ level: 'silent' }),
      stripeWebhookSecret: SECRET,
      workflowAnswerTimeoutMs: 1_000,
      rateLimits: TEST_RATE_LIMITS,
    });
    try {
      const down = await deliver(event, { target: cutOff });
      expect(down.status).toBe(503);
      expect(down.body.error.code).toBe('service_unavailable');
    } finally {
      await cutOff.close();
      await deadConnection.close().catch(() => undefined);
    }

    const [row] = await storedRows(event.id);
    expect(row!.status).toBe('received');
    const waiting = await api.call('operator', 'GET', `/v1/webhook-events/${row!.id}`);
    expect(waiting.body).toMatchObject({ status: 'received', attempts: 1, routed_to: null, processed_at: null });
    expect(waiting.body.error).toMatch(/^Temporal did not take the signal to invoice-/);
    expect(await paymentSignals(target)).toEqual([]);

    // Stripe redelivers: stored already but not routed, so this delivery routes it (not a duplicate).
    const redelivered = await deliver(event);
    expect(redelivered.body).toMatchObject({ status: 'routed', duplicate: false, id: row!.id });
    expect((await paymentSignals(target)).map((s) => s.eventId)).toEqual([event.id]);
    expect((await api.call('operator', 'GET', `/v1/webhook-events/${row!.id}`)).body).toMatchObject({ attempts: 2, error: null });
  });
});

describe('webhook events API', () => {
  test('lists page by cursor and filter; unknown ids are 404; sales may not read them', async () => {
    const first = await deliver(stripeEvent({ type: 'invoice.created', object: { id: 'in_stripe_a' } }));
    const second = await deliver(stripeEvent({ type: 'invoice.created', object: { id: 'in_stripe_b' } }));
    const page1 = await api.call('operator', 'GET', '/v1/webhook-events?type=invoice.created&limit=1');
    expect(page1.body).toMatchObject({ object: 'list', has_more: true });
    expect(page1.body.data.map((e: { id: string }) => e.id)).toEqual([second.body.id]);
    const page2 = await api.call('operator', 'GET', `/v1/webhook-events?type=invoice.created&limit=1&starting_after=${second.body.id}`);
    expect(page2.body).toMatchObject({ has_more: false });
    expect(page2.body.data.map((e: { id: string }) => e.id)).toEqual([first.body.id]);

    expect((await api.call('operator', 'GET', '/v1/webhook-events?status=lost')).status).toBe(400);
    expect((await api.call('operator', 'GET', '/v1/webhook-events/we_missing')).status).toBe(404);
    expect((await api.call('operator', 'POST', '/v1/webhook-events/we_missing/retry')).status).toBe(404);
    expect((await api.call('sales', 'GET', '/v1/webhook-events')).status).toBe(403);
  });
});

describe('refunds made at Stripe', () => {
  /** A paid invoice whose payment holds `intent` as its gateway id. */
  async function paidAtStripe(intent: string): Promise<{ invoiceId: string; paymentId: string }> {
    const invoiceId = await openInvoice({ paymentIntent: intent });
    const em = api.orm.em.fork();
    await em.execute(`update invoices set status = 'paid', amount_paid = 2500, amount_due = 0, paid_at = now() where id = ?`, [invoiceId]);
    const [payment] = await em.execute<{ id: string }[]>(`select id from payments where invoice_id = ?`, [invoiceId]);
    return { invoiceId, paymentId: payment!.id };
  }
  const refundEvent = (type: string, refund: string, intent: string, status: string, created = nowSeconds(), metadata: Record<string, string> = {}) =>
    stripeEvent({
      type,
      created,
      object: { id: refund, object: 'refund', amount: 1000, currency: 'usd', payment_intent: intent, charge: `ch_${intent}`, status, reason: 'requested_by_customer', metadata },
    });
  const refundRows = (paymentId: string) =>
    api.orm.em.fork().execute<{ status: string; amount: string; gateway_refund_id: string }[]>(
      `select status, amount, gateway_refund_id from refunds where payment_id = ?`,
      [paymentId],
    );
  const refunded = async (invoiceId: string, paymentId: string) => {
    const [row] = await api.orm.em
      .fork()
      .execute<{ payment: string; invoice: string }[]>(
        `select p.amount_refunded as payment, i.amount_refunded as invoice from payments p join invoices i on i.id = p.invoice_id where p.id = ? and i.id = ?`,
        [paymentId, invoiceId],
      );
    return [Number(row!.payment), Number(row!.invoice)];
  };

  test('recorded once, moved forward only, added to amount_refunded when it succeeds, whatever the order', async () => {
    const intent = `pi_${randomUUID().replace(/-/g, '')}`;
    const { invoiceId, paymentId } = await paidAtStripe(intent);
    const refund = `re_${randomUUID().replace(/-/g, '')}`;

    const created = refundEvent('refund.created', refund, intent, 'pending', nowSeconds() - 10);
    const updated = refundEvent('refund.updated', refund, intent, 'succeeded');
    // The update first, then the (older) creation, then the update again.
    expect((await deliver(updated)).status).toBe(200);
    expect((await deliver(created)).status).toBe(200);
    expect((await deliver(updated)).body).toMatchObject({ duplicate: true });
    const again = refundEvent('charge.refund.updated', refund, intent, 'succeeded');
    expect((await deliver(again)).status).toBe(200);

    expect(await refundRows(paymentId)).toEqual([{ status: 'succeeded', amount: '1000', gateway_refund_id: refund }]);
    expect(await refunded(invoiceId, paymentId)).toEqual([1000, 1000]);
    expect(await storedRows(created.id)).toEqual([expect.objectContaining({ status: 'routed' })]);
    const listed = await api.call('admin', 'GET', `/v1/refunds?payment=${paymentId}`);
    expect(listed.body.data).toEqual([expect.objectContaining({ status: 'succeeded', amount: 1000 })]);
  });

  test('a pending refund that fails gives nothing back; our own refunds and unknown payments are not recorded here', async () => {
    const intent = `pi_${randomUUID().replace(/-/g, '')}`;
    const { invoiceId, paymentId } = await paidAtStripe(intent);
    const refund = `re_${randomUUID().replace(/-/g, '')}`;
    await deliver(refundEvent('refund.created', refund, intent, 'pending'));
    expect(await refundRows(paymentId)).toEqual([expect.objectContaining({ status: 'pending' })]);
    await deliver(refundEvent('refund.updated', refund, intent, 'canceled'));
    await deliver(refundEvent('refund.updated', refund, intent, 'succeeded')); // never moves a failed refund
    expect(await refundRows(paymentId)).toEqual([expect.objectContaining({ status: 'failed' })]);
    expect(await refunded(invoiceId, paymentId)).toEqual([0, 0]);

    const ours = refundEvent('refund.created', `re_${randomUUID().replace(/-/g, '')}`, intent, 'succeeded', nowSeconds(), { refund_id: 're_ours' });
    await deliver(ours);
    expect(await storedRows(ours.id)).toEqual([expect.objectContaining({ status: 'ignored' })]);

    const stranger = refundEvent('refund.created', `re_${randomUUID().replace(/-/g, '')}`, 'pi_unknown', 'succeeded');
    await deliver(stranger);
    expect(await storedRows(stranger.id)).toEqual([expect.objectContaining({ status: 'unroutable' })]);
    expect(await refundRows(paymentId)).toHaveLength(1);
  });
});
