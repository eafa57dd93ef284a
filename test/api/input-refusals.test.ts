/**
 * Input the API refuses with a 400 naming the field, before anything is stored: card numbers where a
 * payment method id belongs, cursors that name no record, strings PostgreSQL would not store as sent,
 * bodies nested deep enough to exhaust a recursive walk, and dates too far ahead for a workflow's state.
 */
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { MAX_JSON_DEPTH } from '../../api/plugins/json-body';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});

const DAY = 86_400_000;
const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();
let seq = 0;
const email = () => `refusals-${Date.now()}-${++seq}@example.com`;

function expectError(response: { status: number; body: { error?: { param?: string; code?: string } } }, status: number, param: string, code?: string) {
  expect({ status: response.status, param: response.body.error?.param }).toEqual({ status, param });
  if (code) expect(response.body.error?.code).toBe(code);
}

async function customer(fields: Record<string, unknown> = {}) {
  const created = await api.call('admin', 'POST', '/v1/customers', { email: email(), name: 'Ada', currency: 'usd', ...fields });
  expect(created.status).toBe(200);
  return created.body.id as string;
}

describe('payment methods are gateway ids, never card numbers', () => {
  it.each(['4242424242424242', '4242 4242 4242 4242', '4242-4242-4242-4242', 'pm_4242424242424242', 'pm_card_4000000000000002x', 'card_5555555555554444'])(
    'refuses %s on a new customer and stores nothing',
    async (cardNumber) => {
      const address = email();
      const refused = await api.call('admin', 'POST', '/v1/customers', { email: address, name: 'Ada', currency: 'usd', default_payment_method: cardNumber });
      expectError(refused, 400, 'default_payment_method');
      expect(JSON.stringify(refused.body)).not.toContain(cardNumber.replace(/\D/g, '').slice(0, 12));
      const listed = await api.call('admin', 'GET', `/v1/customers?email=${encodeURIComponent(address)}`);
      expect(listed.body.data ?? []).toEqual([]);
    },
  );

  it('refuses a card number as the saved payment method and keeps the old one', async () => {
    const id = await customer({ default_payment_method: 'pm_card_visa' });
    const refused = await api.call('admin', 'POST', `/v1/customers/${id}/payment-method`, { payment_method: '4000000000000002' });
    expectError(refused, 400, 'payment_method');
    const after = await api.call('admin', 'GET', `/v1/customers/${id}`);
    expect(after.body.default_payment_method).toBe('pm_card_visa');
  });

  it("refuses a card number for a quote's new customer", async () => {
    const quote = await api.call('sales', 'POST', '/v1/quotes', {
      contact: { name: 'Ada', email: email(), currency: 'usd', default_payment_method: '4242424242424242' },
      owner: { name: 'Refusal Tester', email: 'refusals-owner@seller.example' },
      lines: [{ description: 'Consulting', unit_amount: 1_000_00 }],
    });
    expectError(quote, 400, 'contact[default_payment_method]');
  });

  it('takes Stripe-shaped ids', async () => {
    const id = await customer({ default_payment_method: 'pm_1QbZ2vLkdIwHu7ix0A8b9c' });
    const saved = await api.call('admin', 'POST', `/v1/customers/${id}/payment-method`, { payment_method: 'pm_card_mastercard' });
    expect(saved.status).toBe(200);
  });
});

describe('list cursors name a record of the list', () => {
  it('answers 400 on starting_after for an unknown id, as Stripe does', async () => {
    expectError(await api.call('admin', 'GET', '/v1/customers?starting_after=cus_does_not_exist'), 400, 'starting_after', 'resource_missing');
    for (const list of ['instalment-plans', 'quotes', 'onboarding-tasks', 'invoices', 'subscriptions']) {
      expectError(await api.call('admin', 'GET', `/v1/${list}?starting_after=in_does_not_exist`), 400, 'starting_after', 'resource_missing');
    }
  });

  it('pages on from a known id', async () => {
    const first = await customer();
    const second = await customer();
    const page = await api.call('admin', 'GET', `/v1/customers?starting_after=${second}&limit=100`);
    expect(page.status).toBe(200);
    expect(page.body.data.map((c: { id: string }) => c.id)).toContain(first);
    expect(page.body.data.map((c: { id: string }) => c.id)).not.toContain(second);
  });
});

describe('strings are stored as sent', () => {
  it.each([
    ['a lone high surrogate', 'Ada \uD800 Lovelace'],
    ['a lone low surrogate', '\uDC00Ada'],
    ['a reversed pair', 'Ada \uDC00\uD800'],
  ])('refuses %s (400 on the field), where it was echoed but stored as U+FFFD', async (_what, name) => {
    const address = email();
    expectError(await api.call('admin', 'POST', '/v1/customers', { email: address, name, currency: 'usd' }), 400, 'name');
    expectError(await api.call('admin', 'POST', '/v1/customers', { email: address, name: 'Ada', currency: 'usd', metadata: { note: name } }), 400, 'metadata[note]');
  });

  it('keeps well-formed astral characters', async () => {
    const created = await api.call('admin', 'POST', '/v1/customers', { email: email(), name: 'Ada 🧮 Lovelace', currency: 'usd' });
    expect(created.status).toBe(200);
    expect((await api.call('admin', 'GET', `/v1/customers/${created.body.id}`)).body.name).toBe('Ada 🧮 Lovelace');
  });
});

describe('deeply nested bodies', () => {
  const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
  const arrays = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

  it.each([
    ['objects, 6,000 levels', nested(6000)],
    ['arrays, 6,000 levels', arrays(6000)],
    ['arrays, one past the limit', arrays(MAX_JSON_DEPTH + 1)],
  ])('answer 400 on body, with a key and on a public route without one (%s)', async (_what, payload) => {
    const withKey = await api.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { authorization: `Bearer ${api.keys.admin}`, 'content-type': 'application/json' },
      payload,
    });
    expect({ status: withKey.statusCode, error: JSON.parse(withKey.body).error }).toMatchObject({ status: 400, error: { param: 'body', code: 'body_too_deep' } });

    const publicRoute = await api.app.inject({ method: 'POST', url: '/v1/public/quotes/qtl_unknown/decline', headers: { 'content-type': 'application/json' }, payload });
    expect({ status: publicRoute.statusCode, error: JSON.parse(publicRoute.body).error }).toMatchObject({ status: 400, error: { param: 'body' } });
  });

  it('a body over 1 MiB is a 413, with or without a key', async () => {
    const payload = JSON.stringify({ email: email(), name: 'x'.repeat(2 * 1024 * 1024), currency: 'usd' });
    for (const [url, headers] of [
      ['/v1/customers', { authorization: `Bearer ${api.keys.admin}` }],
      ['/v1/public/quotes/qtl_unknown/decline', {}],
    ] as const) {
      const r = await api.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload });
      expect({ status: r.statusCode, code: JSON.parse(r.body).error?.code }).toEqual({ status: 413, code: 'body_too_large' });
    }
  });

  it('brackets inside strings do not count', async () => {
    const created = await api.call('admin', 'POST', '/v1/customers', { email: email(), name: '[[[[{{{{'.repeat(10), currency: 'usd' });
    expect(created.status).toBe(200);
  });
});

describe('dates at most ten years ahead, on every date field', () => {
  const year9999 = '9999-01-01T00:00:00.000Z';

  it('refuses an instalment plan starting in 9999 and its custom due dates', async () => {
    const cus = await customer({ default_payment_method: 'pm_card_visa' });
    const base = { customer: cus, total: 600_00, count: 6, description: 'Lease' };
    expectError(await api.call('sales', 'POST', '/v1/instalment-plans', { ...base, first_payment_date: year9999 }), 400, 'first_payment_date', 'date_too_far_ahead');
    const custom = await api.call('sales', 'POST', '/v1/instalment-plans', {
      customer: cus,
      total: 200_00,
      method: 'custom',
      instalments: [
        { due_date: inFuture(30 * DAY), percent: '50' },
        { due_date: year9999, percent: '50' },
      ],
    });
    expectError(custom, 400, 'instalments[1][due_date]', 'date_too_far_ahead');
    const plans = await api.call('admin', 'GET', `/v1/instalment-plans?customer=${cus}`);
    expect(plans.body.data).toEqual([]);
  });

  it("refuses a quote's expiry and subscription start far ahead", async () => {
    const cus = await customer();
    const quote = (fields: Record<string, unknown>) =>
      api.call('sales', 'POST', '/v1/quotes', {
        customer: cus,
        owner: { name: 'Refusal Tester', email: 'refusals-owner@seller.example' },
        lines: [{ description: 'Consulting', unit_amount: 1_000_00 }],
        ...fields,
      });
    expectError(await quote({ expires_at: year9999 }), 400, 'expires_at', 'date_too_far_ahead');
    expectError(await quote({ payment: { subscription_start_date: '2999-06-01T00:00:00.000Z' } }), 400, 'payment[subscription_start_date]', 'date_too_far_ahead');
    // Nine years ahead is still a date a contract may name.
    expect((await quote({ expires_at: inFuture(9 * 365 * DAY) })).status).toBe(200);
  });
});
