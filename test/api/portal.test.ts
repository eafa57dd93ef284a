/**
 * The customer portal through the real API, worker, Temporal dev server and PostgreSQL: staff open a
 * session for one customer; its token (and nothing else) opens /v1/portal, where the customer sees
 * only its own subscriptions and invoices, pauses and resumes, asks to cancel (a pending request in
 * the operators' queue), saves a card (failed invoices retried), switches to autopay and pays an
 * open invoice with the saved card.
 */
import { createHash, randomUUID } from 'node:crypto';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { eventually } from '../support/eventually';
import { Customer, PortalSession, type ApiKeyRole } from '../../db/entities';

let api: ApiHarness;
let price: string; // 30.00 a month

beforeAll(async () => {
  api = await startApiHarness({ workflowAnswerTimeoutMs: 30_000 });
  const product = (await api.call('admin', 'POST', '/v1/products', { name: 'Portal plan' })).body.id;
  price = (await api.call('admin', 'POST', '/v1/prices', { product, currency: 'usd', unit_amount: 30_00, recurring: { interval: 'month' } })).body.id;
});
afterAll(async () => {
  await api?.close();
});

async function newCustomer(fields: Record<string, unknown> = {}): Promise<string> {
  const res = await api.call('sales', 'POST', '/v1/customers', {
    email: `portal-${randomUUID()}@example.com`,
    name: 'Portal customer',
    currency: 'usd',
    default_payment_method: 'pm_card_visa',
    ...fields,
  });
  expect(res.status).toBe(200);
  return res.body.id;
}

/** A session opened by an operator's key unless said otherwise: it may do what an operator may (pause included). */
async function openSession(
  customer: string,
  body: Record<string, unknown> = {},
  role: ApiKeyRole = 'operator',
): Promise<{ id: string; token: string; url: string; expires_at: string }> {
  const res = await api.call(role, 'POST', `/v1/customers/${customer}/portal-sessions`, body);
  expect(res.status).toBe(200);
  return res.body;
}

/** A request with a portal session's token (or any other Authorization value) instead of an API key. */
const portal = (token: string | null, method: 'GET' | 'POST', url: string, body?: unknown) =>
  api.call(null, method, url, body, token === null ? {} : { authorization: `Bearer ${token}` });

/** A monthly subscription whose first period is billed. */
async function billedSubscription(customer: string): Promise<string> {
  const created = await api.call('sales', 'POST', '/v1/subscriptions', { customer, price });
  expect(created.status).toBe(200);
  await eventually(async () => {
    const s = await api.call('operator', 'GET', `/v1/subscriptions/${created.body.id}`);
    expect(s.body.current_period?.index).toBe(0);
  });
  return created.body.id;
}

/** A finalized one-off invoice, collected as `collection_method` says. */
async function openInvoice(customer: string, amount: number, collection_method: 'send_invoice' | 'charge_automatically'): Promise<string> {
  const draft = await api.call('sales', 'POST', '/v1/invoices', { customer, collection_method, lines: [{ description: 'Setup', unit_amount: amount }] });
  expect(draft.status).toBe(200);
  const finalized = await api.call('sales', 'POST', `/v1/invoices/${draft.body.id}/finalize`);
  expect(finalized.status).toBe(200);
  return draft.body.id;
}

function expectError(res: { status: number; body: { error?: { type?: string; code?: string; param?: string } } }, status: number, code?: string, param?: string) {
  expect({ status: res.status, code: code && res.body.error?.code, param: param && res.body.error?.param }).toEqual({ status, code, param });
}

describe('portal sessions', () => {
  test('issued by staff for one customer: a cps_ token shown once, its SHA-256 stored, one hour by default', async () => {
    const customer = await newCustomer();
    const before = Date.now();
    const session = await openSession(customer, { return_url: 'https://shop.example.com/account' });
    expect(session).toMatchObject({ object: 'portal_session', customer, return_url: 'https://shop.example.com/account', revoked_at: null });
    expect(session.id).toMatch(/^bps_/);
    // 24 random bytes in base64url: 32 characters after the prefix (192 bits).
    expect(session.token).toMatch(/^cps_[A-Za-z0-9_-]{32}$/);
    expect(session.url).toContain(`#token=${session.token}`);
    const lifetime = Date.parse(session.expires_at) - before;
    expect(lifetime).toBeGreaterThan(3_590_000);
    expect(lifetime).toBeLessThan(3_610_000);

    const row = await api.orm.em.fork().findOneOrFail(PortalSession, { id: session.id });
    expect(row.tokenHash).toBe(createHash('sha256').update(session.token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(session.token);

    const short = await openSession(customer, { expires_in: 60 });
    expect(Date.parse(short.expires_at) - Date.parse(session.expires_at)).toBeLessThan(-3_000_000);
    expect(short.token).not.toBe(session.token);
  });

  test('bad input is a 400 naming the field; an unknown customer a 404', async () => {
    const customer = await newCustomer();
    expectError(await api.call('sales', 'POST', `/v1/customers/${customer}/portal-sessions`, { expires_in: 59 }), 400, undefined, 'expires_in');
    expectError(await api.call('sales', 'POST', `/v1/customers/${customer}/portal-sessions`, { expires_in: 86_401 }), 400, undefined, 'expires_in');
    expectError(await api.call('sales', 'POST', `/v1/customers/${customer}/portal-sessions`, { return_url: 'javascript:alert(1)' }), 400, undefined, 'return_url');
    expectError(await api.call('sales', 'POST', `/v1/customers/${customer}/portal-sessions`, { return_url: 'not a url' }), 400, undefined, 'return_url');
    expectError(await api.call('sales', 'POST', `/v1/customers/${customer}/portal-sessions`, { scope: 'all' }), 400);
    expectError(await api.call('sales', 'POST', '/v1/customers/cus_missing/portal-sessions'), 404, 'resource_missing');
  });

  test('no token, an API key, an unknown, expired or revoked token: 401 portal_session_invalid', async () => {
    const customer = await newCustomer();
    const session = await openSession(customer);
    expect((await portal(session.token, 'GET', '/v1/portal/customer')).status).toBe(200);

    for (const authorization of [null, api.keys.admin, api.keys.operator, api.keys.sales, 'cps_unknown', `${session.token}x`]) {
      const res = await portal(authorization, 'GET', '/v1/portal/customer');
      expect(res.body).toMatchObject({ error: { type: 'authentication_error', code: 'portal_session_invalid' } });
      expect(res.status).toBe(401);
    }
    // Before the body is looked at: a caller without a session learns nothing about what it sent.
    expectError(await portal(null, 'POST', '/v1/portal/payment-method', { nonsense: true }), 401, 'portal_session_invalid');
    // A portal token opens no staff route.
    expectError(await portal(session.token, 'GET', `/v1/customers/${customer}`), 401, 'api_key_invalid');

    const expiring = await openSession(customer, { expires_in: 60 });
    expect((await portal(expiring.token, 'GET', '/v1/portal/customer')).status).toBe(200);
    // Two minutes later: issued 120 s ago, expired 60 s ago.
    await api.orm.em.fork().nativeUpdate(PortalSession, { id: expiring.id }, { createdAt: new Date(Date.now() - 120_000), expiresAt: new Date(Date.now() - 60_000) });
    expectError(await portal(expiring.token, 'GET', '/v1/portal/customer'), 401, 'portal_session_invalid');

    const revoked = await api.call('operator', 'POST', `/v1/customers/${customer}/portal-sessions/${session.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: session.id, token: null, url: null, revoked_at: expect.any(String) });
    expectError(await portal(session.token, 'GET', '/v1/portal/customer'), 401, 'portal_session_invalid');
    // Another customer's session id is not found under this customer.
    const other = await openSession(await newCustomer());
    expectError(await api.call('operator', 'POST', `/v1/customers/${customer}/portal-sessions/${other.id}/revoke`), 404, 'resource_missing');
    expect((await portal(other.token, 'GET', '/v1/portal/customer')).status).toBe(200);
  });
});

describe('a session sees only its own customer', () => {
  let a: string;
  let b: string;
  let tokenA: string;
  let subA: string;
  let subB: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([newCustomer(), newCustomer()]);
    [subA, subB] = await Promise.all([billedSubscription(a), billedSubscription(b)]);
    tokenA = (await openSession(a)).token;
  });

  test('the customer, its subscriptions and its invoices, in the staff API shapes', async () => {
    const me = await portal(tokenA, 'GET', '/v1/portal/customer');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: a, object: 'customer', default_payment_method: 'pm_card_visa' });

    const subscriptions = await portal(tokenA, 'GET', '/v1/portal/subscriptions');
    expect(subscriptions.status).toBe(200);
    expect(subscriptions.body.data.map((s: { id: string }) => s.id)).toEqual([subA]);
    const staffSubscription = (await api.call('operator', 'GET', `/v1/subscriptions/${subA}`)).body;
    expect(Object.keys(subscriptions.body.data[0]).sort()).toEqual(Object.keys(staffSubscription).sort());
    expect(subscriptions.body.data[0]).toMatchObject({ id: subA, object: 'subscription', customer: a, items: staffSubscription.items });

    const invoicesA = await eventually(async () => {
      const res = await portal(tokenA, 'GET', '/v1/portal/invoices');
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(1);
      return res.body.data as { id: string; customer: string; status: string }[];
    });
    expect(invoicesA[0]).toMatchObject({ customer: a, subscription: subA });
    const own = await portal(tokenA, 'GET', `/v1/portal/invoices/${invoicesA[0]!.id}`);
    expect(own.status).toBe(200);
    const staffInvoice = (await api.call('operator', 'GET', `/v1/invoices/${invoicesA[0]!.id}`)).body;
    expect(Object.keys(own.body).sort()).toEqual(Object.keys(staffInvoice).sort());
    expect(own.body).toMatchObject({ id: staffInvoice.id, number: staffInvoice.number, total: staffInvoice.total, lines: staffInvoice.lines });
    const pdf = await api.app.inject({ method: 'GET', url: `/v1/portal/invoices/${invoicesA[0]!.id}/pdf`, headers: { authorization: `Bearer ${tokenA}` } });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  });

  test("another customer's subscription or invoice is a 404, for reads and for every action", async () => {
    const invoiceB = await eventually(async () => {
      const list = await api.call('operator', 'GET', `/v1/invoices?customer=${b}`);
      expect(list.body.data).toHaveLength(1);
      return list.body.data[0].id as string;
    });
    const attempts: [method: 'GET' | 'POST', url: string, body?: unknown][] = [
      ['GET', `/v1/portal/subscriptions/${subB}`],
      ['POST', `/v1/portal/subscriptions/${subB}/pause`],
      ['POST', `/v1/portal/subscriptions/${subB}/resume`],
      ['POST', `/v1/portal/subscriptions/${subB}/cancel`],
      ['POST', `/v1/portal/subscriptions/${subB}/collection-method`, { collection_method: 'send_invoice' }],
      ['GET', `/v1/portal/invoices/${invoiceB}`],
      ['GET', `/v1/portal/invoices/${invoiceB}/pdf`],
      ['POST', `/v1/portal/invoices/${invoiceB}/pay`],
    ];
    for (const [method, url, body] of attempts) {
      const res = await portal(tokenA, method, url, body);
      expect({ url, status: res.status, code: res.body.error.code, leaked: JSON.stringify(res.body).includes(b) }).toEqual({
        url,
        status: 404,
        code: 'resource_missing',
        leaked: false,
      });
    }
    // Nothing happened to B's records.
    expect((await api.call('operator', 'GET', `/v1/subscriptions/${subB}`)).body).toMatchObject({ status: 'active', collection_method: 'charge_automatically' });
    expect((await api.call('operator', 'GET', `/v1/cancellation-requests?subscription=${subB}`)).body.data).toEqual([]);
    // Lists carry no filter that could reach past the session's customer.
    expectError(await portal(tokenA, 'GET', `/v1/portal/invoices?customer=${b}`), 400);
  });

  test('pause, then resume, through the subscription workflow', async () => {
    const paused = await portal(tokenA, 'POST', `/v1/portal/subscriptions/${subA}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ id: subA, status: 'paused' });
    expectError(await portal(tokenA, 'POST', `/v1/portal/subscriptions/${subA}/pause`, { resume_at: 'tomorrow' }), 400, undefined, 'resume_at');
    const resumed = await portal(tokenA, 'POST', `/v1/portal/subscriptions/${subA}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ id: subA, status: 'active' });
  });

  test("cancel records a request that waits in the operators' queue", async () => {
    const requested = await portal(tokenA, 'POST', `/v1/portal/subscriptions/${subA}/cancel`, { reason: 'too_expensive', comment: 'Budget cuts' });
    expect(requested.status).toBe(200);
    expect(requested.body).toMatchObject({ object: 'cancellation_request', subscription: subA, customer: a, status: 'pending', at_period_end: true, reason: 'too_expensive' });
    const queue = await api.call('operator', 'GET', '/v1/cancellation-requests?status=pending&customer=' + a);
    expect(queue.body.data.map((r: { id: string }) => r.id)).toEqual([requested.body.id]);
    // Still running until an operator decides; a second request is refused.
    expect((await api.call('operator', 'GET', `/v1/subscriptions/${subA}`)).body.status).toBe('active');
    expectError(await portal(tokenA, 'POST', `/v1/portal/subscriptions/${subA}/cancel`), 409, 'cancellation_request_pending');
    expectError(await portal(tokenA, 'POST', `/v1/portal/subscriptions/${subA}/cancel`, { reason: 'bored' }), 400, undefined, 'reason');
  });
});

describe('a session does only what the role that opened it may do through the staff API', () => {
  let customer: string;
  let subscription: string;
  let invoice: string;
  beforeAll(async () => {
    customer = await newCustomer();
    subscription = await billedSubscription(customer);
    invoice = await openInvoice(customer, 12_00, 'send_invoice');
  });

  test('a sales key cannot pause, so neither can a session it opened: 403 portal_action_not_allowed, nothing changes', async () => {
    const session = await openSession(customer, {}, 'sales');
    expect((await api.orm.em.fork().findOneOrFail(PortalSession, { id: session.id })).openedByRole).toBe('sales');
    // The staff route says so for the key itself...
    expectError(await api.call('sales', 'POST', `/v1/subscriptions/${subscription}/pause`), 403, 'role_not_allowed');
    // ...and the portal for its session, on every action that is operators' on the staff side.
    const refused: [url: string, body?: unknown][] = [
      [`/v1/portal/subscriptions/${subscription}/pause`],
      [`/v1/portal/subscriptions/${subscription}/resume`],
      [`/v1/portal/subscriptions/${subscription}/collection-method`, { collection_method: 'send_invoice' }],
      [`/v1/portal/invoices/${invoice}/pay`],
    ];
    for (const [url, body] of refused) {
      const res = await portal(session.token, 'POST', url, body);
      expect({ url, status: res.status, type: res.body.error?.type, code: res.body.error?.code }).toEqual({
        url,
        status: 403,
        type: 'permission_error',
        code: 'portal_action_not_allowed',
      });
    }
    expect((await api.call('operator', 'GET', `/v1/subscriptions/${subscription}`)).body).toMatchObject({ status: 'active', collection_method: 'charge_automatically' });
    expect((await api.call('operator', 'GET', `/v1/invoices/${invoice}`)).body.status).toBe('open');
    // What a sales key may do, its session may: read the subscription.
    expect((await portal(session.token, 'GET', `/v1/portal/subscriptions/${subscription}`)).status).toBe(200);
  });

  test('a session an operator opened pauses; one an admin opened resumes', async () => {
    const byOperator = await openSession(customer, {}, 'operator');
    const paused = await portal(byOperator.token, 'POST', `/v1/portal/subscriptions/${subscription}/pause`);
    expect({ status: paused.status, subscription: paused.body.status }).toEqual({ status: 200, subscription: 'paused' });
    const byAdmin = await openSession(customer, {}, 'admin');
    const resumed = await portal(byAdmin.token, 'POST', `/v1/portal/subscriptions/${subscription}/resume`);
    expect({ status: resumed.status, subscription: resumed.body.status }).toEqual({ status: 200, subscription: 'active' });
  });
});

test('switch to autopay only after saving a card; saving it retries a failed invoice', async () => {
  const customer = await newCustomer({ default_payment_method: undefined });
  const created = await api.call('sales', 'POST', '/v1/subscriptions', { customer, price, collection_method: 'send_invoice' });
  expect(created.status).toBe(200);
  const sub = await eventually(async () => {
    const s = await api.call('operator', 'GET', `/v1/subscriptions/${created.body.id}`);
    expect(s.body.status).not.toBe('incomplete');
    return s.body;
  });
  const { token } = await openSession(customer);

  expectError(
    await portal(token, 'POST', `/v1/portal/subscriptions/${sub.id}/collection-method`, { collection_method: 'charge_automatically' }),
    422,
    'no_payment_method',
    'collection_method',
  );
  expectError(await portal(token, 'POST', `/v1/portal/subscriptions/${sub.id}/collection-method`, { collection_method: 'autopay' }), 400, undefined, 'collection_method');
  expectError(await portal(token, 'POST', '/v1/portal/payment-method', {}), 400, undefined, 'payment_method');

  // A one-off autopay invoice that declined before the card was replaced.
  const declining = await newCustomer({ default_payment_method: 'pm_card_chargeDeclinedInsufficientFunds' });
  const failed = await openInvoice(declining, 12_00, 'charge_automatically');
  await eventually(async () => expect((await api.call('operator', 'GET', `/v1/invoices/${failed}/collection`)).body.stage).toBe('retry_scheduled'));
  const declinerToken = (await openSession(declining)).token;
  const saved = await portal(declinerToken, 'POST', '/v1/portal/payment-method', { payment_method: 'pm_card_visa' });
  expect(saved.status).toBe(200);
  expect(saved.body).toMatchObject({ id: declining, default_payment_method: 'pm_card_visa' });
  await eventually(async () => expect((await api.call('operator', 'GET', `/v1/invoices/${failed}`)).body.status).toBe('paid'));

  const card = await portal(token, 'POST', '/v1/portal/payment-method', { payment_method: 'pm_card_mastercard' });
  expect(card.status).toBe(200);
  const switched = await portal(token, 'POST', `/v1/portal/subscriptions/${sub.id}/collection-method`, { collection_method: 'charge_automatically' });
  expect(switched.status).toBe(200);
  expect(switched.body).toMatchObject({ id: sub.id, collection_method: 'charge_automatically' });
  expect((await api.call('operator', 'GET', `/v1/subscriptions/${sub.id}`)).body.collection_method).toBe('charge_automatically');
});

test('pay an open invoice now with the saved card; a paid one is a 409', async () => {
  const customer = await newCustomer({ default_payment_method: 'pm_card_chargeDeclinedInsufficientFunds' });
  const invoice = await openInvoice(customer, 45_00, 'charge_automatically');
  await eventually(async () => expect((await api.call('operator', 'GET', `/v1/invoices/${invoice}/collection`)).body).toMatchObject({ stage: 'retry_scheduled', attempts: 1 }));
  const { token } = await openSession(customer);

  // Paying with the same declining card: the attempt is made and reported, the invoice stays open.
  const declined = await portal(token, 'POST', `/v1/portal/invoices/${invoice}/pay`);
  expect(declined.status).toBe(200);
  expect(declined.body).toMatchObject({ id: invoice, status: 'open' });
  expect((await api.call('operator', 'GET', `/v1/invoices/${invoice}/collection`)).body).toMatchObject({ attempts: 2, last_failure_code: 'insufficient_funds' });

  // The card changed at the gateway (an account updater), with no retry signal: the customer pays now.
  await api.orm.em.fork().nativeUpdate(Customer, { id: customer }, { defaultPaymentMethod: 'pm_card_visa' });
  const paid = await portal(token, 'POST', `/v1/portal/invoices/${invoice}/pay`);
  expect(paid.status).toBe(200);
  expect(paid.body).toMatchObject({ id: invoice, status: 'paid', amount_due: 0, amount_paid: 45_00 });
  expect((await api.call('operator', 'GET', `/v1/invoices/${invoice}`)).body.status).toBe('paid');
  expectError(await portal(token, 'POST', `/v1/portal/invoices/${invoice}/pay`), 409, 'invalid_state_transition');

  const listed = await portal(token, 'GET', '/v1/portal/invoices?status=paid');
  expect(listed.body.data.map((i: { id: string }) => i.id)).toEqual([invoice]);
});

test('an emailed invoice is paid from the portal with the saved card; a decline leaves it open; drafts stay hidden', async () => {
  const customer = await newCustomer();
  const emailed = await openInvoice(customer, 20_00, 'send_invoice');
  const { token } = await openSession(customer);
  await eventually(async () => expect((await api.call('operator', 'GET', `/v1/invoices/${emailed}/collection`)).body.stage).toBe('awaiting_payment'));

  // A card that declines: the invoice stays emailed and open, the decline recorded, no retry scheduled.
  await api.orm.em.fork().nativeUpdate(Customer, { id: customer }, { defaultPaymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' });
  const declined = await portal(token, 'POST', `/v1/portal/invoices/${emailed}/pay`);
  expect(declined.status).toBe(200);
  expect(declined.body).toMatchObject({ id: emailed, status: 'open', amount_due: 20_00 });
  expect((await api.call('operator', 'GET', `/v1/invoices/${emailed}/collection`)).body).toMatchObject({
    stage: 'awaiting_payment',
    attempts: 1,
    next_retry_at: null,
    last_failure_code: 'insufficient_funds',
  });

  await api.orm.em.fork().nativeUpdate(Customer, { id: customer }, { defaultPaymentMethod: 'pm_card_visa' });
  const pay = await portal(token, 'POST', `/v1/portal/invoices/${emailed}/pay`);
  expect(pay.status).toBe(200);
  expect(pay.body).toMatchObject({ id: emailed, status: 'paid', amount_due: 0, amount_paid: 20_00 });
  expectError(await portal(token, 'POST', `/v1/portal/invoices/${emailed}/pay`), 409, 'invalid_state_transition');

  const draft = await api.call('sales', 'POST', '/v1/invoices', { customer, lines: [{ description: 'Not yet', unit_amount: 5_00 }] });
  expect(draft.status).toBe(200);
  expectError(await portal(token, 'GET', `/v1/portal/invoices/${draft.body.id}`), 404, 'resource_missing');
  expectError(await portal(token, 'POST', `/v1/portal/invoices/${draft.body.id}/pay`), 404, 'resource_missing');
  expect((await portal(token, 'GET', '/v1/portal/invoices')).body.data.map((i: { id: string }) => i.id)).toEqual([emailed]);

  // Without a saved card there is nothing to charge.
  const cardless = await newCustomer({ default_payment_method: undefined });
  const open = await openInvoice(cardless, 7_00, 'send_invoice');
  expectError(await portal((await openSession(cardless)).token, 'POST', `/v1/portal/invoices/${open}/pay`), 422, 'no_payment_method');
});

describe('with CANCELLATION_REQUESTS=immediate', () => {
  let immediate: ApiHarness;
  beforeAll(async () => {
    immediate = await startApiHarness({ workflowAnswerTimeoutMs: 30_000, cancellationRequests: 'immediate' });
  });
  afterAll(async () => {
    await immediate?.close();
  });

  test("the customer's cancel applies at once, and is approved in the record", async () => {
    const customer = (await immediate.call('sales', 'POST', '/v1/customers', { email: `now-${randomUUID()}@example.com`, name: 'Now', currency: 'usd', default_payment_method: 'pm_card_visa' })).body.id;
    const created = await immediate.call('sales', 'POST', '/v1/subscriptions', { customer, price });
    expect(created.status).toBe(200);
    await eventually(async () => expect((await immediate.call('operator', 'GET', `/v1/subscriptions/${created.body.id}`)).body.current_period?.index).toBe(0));
    const token = (await immediate.call('sales', 'POST', `/v1/customers/${customer}/portal-sessions`)).body.token;

    const cancel = await immediate.call(null, 'POST', `/v1/portal/subscriptions/${created.body.id}/cancel`, { at_period_end: false }, { authorization: `Bearer ${token}` });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'approved', at_period_end: false, customer });
    expect((await immediate.call('operator', 'GET', `/v1/subscriptions/${created.body.id}`)).body).toMatchObject({ status: 'canceled', cancellation_reason: 'cancellation_requested' });
  });
});
