/**
 * Refunds through the real API, worker, Temporal dev server and PostgreSQL, with the sandbox gateway:
 * the payments refunded are real subscription payments charged by the billing workflows.
 */
import { randomUUID } from 'node:crypto';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { eventually } from '../support/eventually';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});

interface PaidPayment {
  id: string;
  invoice: string;
  customer: string;
  amount: number;
  gateway_charge_id: string;
}

/** A monthly subscription for a new customer, and the payment of its first invoice once it is in. */
async function subscriptionPayment(unitAmount: number, paymentMethod = 'pm_card_visa', status: 'succeeded' | 'failed' = 'succeeded'): Promise<PaidPayment> {
  const product = await api.call('admin', 'POST', '/v1/products', { name: 'Refundable plan' });
  const price = await api.call('admin', 'POST', '/v1/prices', { product: product.body.id, currency: 'usd', unit_amount: unitAmount, recurring: { interval: 'month' } });
  expect(price.status).toBe(200);
  const customer = await api.call('sales', 'POST', '/v1/customers', {
    email: `refunds-${randomUUID()}@example.com`,
    name: 'Refund Tester',
    currency: 'usd',
    default_payment_method: paymentMethod,
  });
  expect(customer.status).toBe(200);
  const subscription = await api.call('sales', 'POST', '/v1/subscriptions', { customer: customer.body.id, price: price.body.id });
  expect(subscription.status).toBe(200);
  return eventually(
    async () => {
      const list = await api.call('operator', 'GET', `/v1/payments?customer=${customer.body.id}&status=${status}`);
      expect(list.body.data).toHaveLength(1);
      return list.body.data[0];
    },
    { timeoutMs: 30_000 },
  );
}

/**
 * The refund once its workflow is done. POST waits up to 5 s for it and usually answers with the
 * final status already; on a loaded machine it may answer `pending`, which the workflow then completes.
 */
async function settled(response: { status: number; body: { id: string; status: string } }): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions read arbitrary JSON
  expect(response.status).toBe(200);
  expect(['pending', 'succeeded']).toContain(response.body.status);
  return eventually(async () => {
    const res = await api.call('operator', 'GET', `/v1/refunds/${response.body.id}`);
    expect(res.body.status).toBe('succeeded');
    return res.body;
  });
}

async function sandboxRefundsOf(gatewayChargeId: string): Promise<{ idempotency_key: string; amount: string; status: string }[]> {
  return api.orm
    .em.fork()
    .execute(`select idempotency_key, amount, status from sandbox_refunds where gateway_charge_id = ? order by idempotency_key`, [gatewayChargeId]);
}

test('a full refund by default: refunded at the gateway, shown on the payment and the invoice, receipted once', async () => {
  const payment = await subscriptionPayment(4200);

  const res = await api.call('operator', 'POST', '/v1/refunds', { payment: payment.id, reason: 'requested_by_customer', note: 'Cancelled in week one' });

  const refund = await settled(res);
  expect(refund).toMatchObject({
    object: 'refund',
    id: expect.stringMatching(/^re_[0-9a-f]{32}$/),
    payment: payment.id,
    invoice: payment.invoice,
    customer: payment.customer,
    amount: 4200,
    currency: 'usd',
    reason: 'requested_by_customer',
    status: 'succeeded',
    gateway: 'sandbox',
    gateway_refund_id: expect.stringMatching(/^re_sandbox_/),
    failure_reason: null,
    note: 'Cancelled in week one',
  });
  expect(refund.completed_at).not.toBeNull();
  const refundId = refund.id as string;

  expect(await sandboxRefundsOf(payment.gateway_charge_id)).toEqual([{ idempotency_key: `refund-${refundId}`, amount: '4200', status: 'succeeded' }]);
  const paymentAfter = await api.call('sales', 'GET', `/v1/payments/${payment.id}`);
  expect(paymentAfter.body).toMatchObject({ amount: 4200, amount_refunded: 4200, status: 'succeeded' });
  const invoice = await api.call('sales', 'GET', `/v1/invoices/${payment.invoice}`);
  // Like Stripe, a refunded invoice stays paid; amount_refunded tells the rest.
  expect(invoice.body).toMatchObject({ status: 'paid', amount_paid: 4200, amount_refunded: 4200 });
  const listedInvoices = await api.call('sales', 'GET', `/v1/invoices?customer=${payment.customer}`);
  expect(listedInvoices.body.data[0]).toMatchObject({ id: payment.invoice, amount_refunded: 4200 });

  const emails = await eventually(async () => {
    const list = await api.call('operator', 'GET', `/v1/emails?related_id=${refundId}`);
    expect(list.body.data).toHaveLength(1);
    return list.body.data;
  });
  expect(emails[0]).toMatchObject({ kind: 'refund_receipt', key: `refund_receipt:${refundId}`, status: 'sent', customer: payment.customer });
  expect(emails[0].subject).toContain('Refund of $42.00');
  expect(emails[0].text).not.toContain('Cancelled in week one');

  const again = await api.call('operator', 'POST', '/v1/refunds', { payment: payment.id });
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('charge_already_refunded');
  const more = await api.call('operator', 'POST', '/v1/refunds', { payment: payment.id, amount: 1 });
  expect(more.status).toBe(422);
  expect(more.body.error).toMatchObject({ code: 'amount_too_large', param: 'amount' });
  expect(await sandboxRefundsOf(payment.gateway_charge_id)).toHaveLength(1);
});

test('partial refunds up to the paid amount, then the rest by default, and never more', async () => {
  const payment = await subscriptionPayment(3000);

  const first = await api.call('admin', 'POST', '/v1/refunds', { payment: payment.id, amount: 1000, reason: 'duplicate' });
  const second = await api.call('operator', 'POST', '/v1/refunds', { payment: payment.id, amount: 500 });
  const tooMuch = await api.call('operator', 'POST', '/v1/refunds', { payment: payment.id, amount: 1501 });
  const rest = await api.call('operator', 'POST', '/v1/refunds', { payment: payment.id });

  expect([first.status, second.status, tooMuch.status, rest.status]).toEqual([200, 200, 422, 200]);
  await Promise.all([settled(first), settled(second), settled(rest)]);
  expect(tooMuch.body.error).toMatchObject({ type: 'invalid_request_error', code: 'amount_too_large', param: 'amount' });
  expect(tooMuch.body.error.message).toContain('(1500)');
  expect(rest.body).toMatchObject({ amount: 1500, reason: null });
  const payments = await api.call('operator', 'GET', `/v1/payments?invoice=${payment.invoice}`);
  expect(payments.body.data[0]).toMatchObject({ id: payment.id, amount_refunded: 3000 });
  expect((await sandboxRefundsOf(payment.gateway_charge_id)).map((r) => Number(r.amount)).sort((a, b) => a - b)).toEqual([500, 1000, 1500]);
});

test('concurrent refunds of one payment: the accepted ones never exceed it, the rest get 422, the gateway has exactly the accepted ones', async () => {
  const payment = await subscriptionPayment(1000);

  const responses = await Promise.all(Array.from({ length: 8 }, () => api.call('operator', 'POST', '/v1/refunds', { payment: payment.id, amount: 300 })));

  const accepted = responses.filter((r) => r.status === 200).map((r) => r.body);
  const rejected = responses.filter((r) => r.status !== 200);
  expect(accepted).toHaveLength(3);
  expect(rejected.map((r) => [r.status, r.body.error.code, r.body.error.param])).toEqual(Array(5).fill([422, 'amount_too_large', 'amount']));
  const settled = await eventually(async () => {
    const list = await api.call('operator', 'GET', `/v1/refunds?payment=${payment.id}&limit=100`);
    expect(list.body.data.map((r: { status: string }) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    return list.body.data;
  });
  expect(settled.map((r: { id: string }) => r.id).sort()).toEqual(accepted.map((r) => r.id).sort());
  expect(await sandboxRefundsOf(payment.gateway_charge_id)).toEqual(
    accepted
      .map((r) => ({ idempotency_key: `refund-${r.id}`, amount: '300', status: 'succeeded' }))
      .sort((a, b) => a.idempotency_key.localeCompare(b.idempotency_key)),
  );
  const paymentAfter = await api.call('operator', 'GET', `/v1/payments/${payment.id}`);
  expect(paymentAfter.body.amount_refunded).toBe(900);
});

test('the same Idempotency-Key replays the first refund instead of refunding again', async () => {
  const payment = await subscriptionPayment(2000);
  const key = `refund-${randomUUID()}`;

  const first = await api.call('operator', 'POST', '/v1/refunds', { payment: payment.id, amount: 700 }, { 'idempotency-key': key });
  const replay = await api.call('operator', 'POST', '/v1/refunds', { payment: payment.id, amount: 700 }, { 'idempotency-key': key });

  expect(replay.status).toBe(200);
  expect(replay.body.id).toBe(first.body.id);
  await settled(first);
  expect(await sandboxRefundsOf(payment.gateway_charge_id)).toHaveLength(1);
});

test('a failed payment cannot be refunded (409), an unknown one is a 404, and bad input a 400 naming the field', async () => {
  const failed = await subscriptionPayment(1500, 'pm_card_chargeDeclined', 'failed');

  const refundFailed = await api.call('operator', 'POST', '/v1/refunds', { payment: failed.id });
  expect(refundFailed.status).toBe(409);
  expect(refundFailed.body.error.code).toBe('payment_not_refundable');

  const unknown = await api.call('operator', 'POST', '/v1/refunds', { payment: 'pay_does_not_exist' });
  expect(unknown.status).toBe(404);
  expect(unknown.body.error).toMatchObject({ code: 'resource_missing', param: 'payment' });

  for (const [body, param] of [
    [{}, 'payment'],
    [{ payment: failed.id, amount: 0 }, 'amount'],
    [{ payment: failed.id, amount: 10.5 }, 'amount'],
    [{ payment: failed.id, reason: 'changed_my_mind' }, 'reason'],
  ] as const) {
    const res = await api.call('operator', 'POST', '/v1/refunds', body);
    expect({ body, status: res.status, param: res.body.error.param }).toEqual({ body, status: 400, param });
  }
  const refunds = await api.call('operator', 'GET', `/v1/refunds?payment=${failed.id}`);
  expect(refunds.body.data).toEqual([]);
});

test('lists refunds newest first with filters and cursor pagination, and retrieves one', async () => {
  const payment = await subscriptionPayment(900);
  const ids: string[] = [];
  for (const amount of [100, 200, 300]) {
    ids.push((await settled(await api.call('operator', 'POST', '/v1/refunds', { payment: payment.id, amount }))).id);
  }

  const page1 = await api.call('sales', 'GET', `/v1/refunds?customer=${payment.customer}&limit=2`);
  expect(page1.body.data.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);
  expect(page1.body.has_more).toBe(true);
  const page2 = await api.call('sales', 'GET', `/v1/refunds?customer=${payment.customer}&limit=2&starting_after=${ids[1]}`);
  expect(page2.body.data.map((r: { id: string }) => r.id)).toEqual([ids[0]]);
  expect(page2.body.has_more).toBe(false);

  const byInvoice = await api.call('operator', 'GET', `/v1/refunds?invoice=${payment.invoice}&status=succeeded`);
  expect(byInvoice.body.data).toHaveLength(3);
  const noneFailed = await api.call('operator', 'GET', `/v1/refunds?invoice=${payment.invoice}&status=failed`);
  expect(noneFailed.body.data).toEqual([]);

  const one = await api.call('sales', 'GET', `/v1/refunds/${ids[0]}`);
  expect(one.body).toMatchObject({ id: ids[0], amount: 100, payment: payment.id, status: 'succeeded' });
  const missing = await api.call('sales', 'GET', '/v1/refunds/re_missing');
  expect(missing.status).toBe(404);
  expect(missing.body.error.code).toBe('resource_missing');
});

test('sales cannot refund', async () => {
  const res = await api.call('sales', 'POST', '/v1/refunds', { payment: 'pay_x' });
  expect(res.status).toBe(403);
});
