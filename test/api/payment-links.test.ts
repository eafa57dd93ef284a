/**
 * `/v1/payment-links` through the real API and PostgreSQL: create (one-time and subscription links),
 * retrieve, list with its cursor, update (active, quantities, after_completion, metadata), who may do
 * what, Idempotency-Key replays, and refused input naming the field.
 */
import { startApiHarness, type ApiHarness } from '../support/api-harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});

async function price(fields: Record<string, unknown> = {}): Promise<string> {
  const product = await api.call('admin', 'POST', '/v1/products', { name: 'Workshop seat' });
  const created = await api.call('admin', 'POST', '/v1/prices', { product: product.body.id, currency: 'usd', unit_amount: 5_000, ...fields });
  expect(created.status).toBe(200);
  return created.body.id;
}

describe('payment links', () => {
  test('create, retrieve, list and update a one-time link', async () => {
    const seat = await price();
    const created = await api.call('sales', 'POST', '/v1/payment-links', {
      line_items: [{ price: seat, quantity: 2, adjustable_quantity: { enabled: true, minimum: 1, maximum: 10 } }],
      after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: 'See you at the workshop.' } },
      metadata: { campaign: 'spring' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      object: 'payment_link',
      active: true,
      currency: 'usd',
      mode: 'payment',
      line_items: [{ price: seat, quantity: 2, adjustable_quantity: { enabled: true, minimum: 1, maximum: 10 } }],
      subscription_data: null,
      after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: 'See you at the workshop.' }, redirect: null },
      allow_future_start: { enabled: false, maximum_days: null },
      metadata: { campaign: 'spring' },
    });
    const id = created.body.id as string;
    expect(id).toMatch(/^plink_/);
    expect(created.body.url).toMatch(new RegExp(`^https?://[^/]+/pay/${id}$`));

    for (const role of ['admin', 'operator', 'sales'] as const) expect((await api.call(role, 'GET', `/v1/payment-links/${id}`)).body).toEqual(created.body);

    const updated = await api.call('admin', 'POST', `/v1/payment-links/${id}`, {
      active: false,
      line_items: [{ price: seat, quantity: 3 }],
      after_completion: { type: 'redirect', redirect: { url: 'https://example.com/thanks?from=link' } },
      metadata: { campaign: '', owner: 'ana' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      active: false,
      line_items: [{ price: seat, quantity: 3, adjustable_quantity: null }],
      after_completion: { type: 'redirect', hosted_confirmation: null, redirect: { url: 'https://example.com/thanks?from=link' } },
      metadata: { owner: 'ana' },
    });

    const inactive = await api.call('operator', 'GET', '/v1/payment-links?active=false&limit=100');
    expect(inactive.body.data.map((l: { id: string }) => l.id)).toContain(id);
    const active = await api.call('operator', 'GET', '/v1/payment-links?active=true&limit=100');
    expect(active.body.data.map((l: { id: string }) => l.id)).not.toContain(id);
  });

  test('a recurring price makes a subscription link with a trial and a future start', async () => {
    const plan = await price({ recurring: { interval: 'month' } });
    const setup = await price();
    const created = await api.call('admin', 'POST', '/v1/payment-links', {
      line_items: [{ price: plan, quantity: 1 }, { price: setup, quantity: 1 }],
      subscription_data: { trial_period_days: 14 },
      allow_future_start: { enabled: true },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ mode: 'subscription', subscription_data: { trial_period_days: 14 }, allow_future_start: { enabled: true, maximum_days: 90 } });
  });

  test('pages newest first; an unknown cursor is a 400', async () => {
    const seat = await price();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api.call('sales', 'POST', '/v1/payment-links', { line_items: [{ price: seat, quantity: 1 }] })).body.id);
    // The list has no filter to narrow it to this test's links, and the checkout tests running beside this
    // file create links in the same database, one of which may land between these three: the page after
    // ids[2] is the newest older link (ids[1] or one made after it), and the pages on hold ids[1], then ids[0].
    const first = await api.call('sales', 'GET', `/v1/payment-links?limit=1&starting_after=${ids[2]}`);
    expect(first.body).toMatchObject({ object: 'list', has_more: true });
    expect(first.body.data).toHaveLength(1);
    const next = first.body.data[0].id as string;
    expect({ next, afterIds1: next >= ids[1]!, beforeIds2: next < ids[2]! }).toEqual({ next, afterIds1: true, beforeIds2: true });
    const older: string[] = (await api.call('sales', 'GET', `/v1/payment-links?limit=100&starting_after=${ids[2]}`)).body.data.map((l: { id: string }) => l.id);
    expect(older).toEqual([...older].sort().reverse()); // newest first
    expect(older.filter((id) => ids.includes(id))).toEqual([ids[1], ids[0]]);
    const unknown = await api.call('sales', 'GET', '/v1/payment-links?starting_after=plink_nope');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.param).toBe('starting_after');
  });

  test('operators read but do not write; an Idempotency-Key replays the first answer', async () => {
    const seat = await price();
    const body = { line_items: [{ price: seat, quantity: 1 }] };
    expect((await api.call('operator', 'POST', '/v1/payment-links', body)).status).toBe(403);
    expect((await api.call(null, 'GET', '/v1/payment-links')).status).toBe(401);
    const headers = { 'Idempotency-Key': `plink-${Date.now()}` };
    const once = await api.call('sales', 'POST', '/v1/payment-links', body, headers);
    const again = await api.call('sales', 'POST', '/v1/payment-links', body, headers);
    expect(again.body.id).toBe(once.body.id);
    expect((await api.call('admin', 'GET', '/v1/payment-links/plink_missing')).status).toBe(404);
  });

  test.each([
    ['no line items', () => ({ line_items: [] }), 400, 'line_items'],
    ['an unknown price', () => ({ line_items: [{ price: 'price_missing', quantity: 1 }] }), 400, 'line_items[0][price]'],
    ['a quantity outside its bounds', (p: string) => ({ line_items: [{ price: p, quantity: 12, adjustable_quantity: { enabled: true, maximum: 10 } }] }), 400, 'line_items[0][quantity]'],
    ['a trial without a recurring price', (p: string) => ({ line_items: [{ price: p, quantity: 1 }], subscription_data: { trial_period_days: 7 } }), 400, 'subscription_data[trial_period_days]'],
    ['a redirect that is not http(s)', (p: string) => ({ line_items: [{ price: p, quantity: 1 }], after_completion: { type: 'redirect', redirect: { url: 'javascript:alert(1)' } } }), 400, 'after_completion[redirect][url]'],
    ['a relative redirect', (p: string) => ({ line_items: [{ price: p, quantity: 1 }], after_completion: { type: 'redirect', redirect: { url: '/thanks' } } }), 400, 'after_completion[redirect][url]'],
    ['a redirect without its URL', (p: string) => ({ line_items: [{ price: p, quantity: 1 }], after_completion: { type: 'redirect' } }), 400, 'after_completion[redirect][url]'],
    ['an unknown field', (p: string) => ({ line_items: [{ price: p, quantity: 1 }], mode: 'payment' }), 400, undefined],
  ])('refuses %s', async (_what, body, status, param) => {
    const res = await api.call('sales', 'POST', '/v1/payment-links', body(await price()));
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error' });
    if (param) expect(res.body.error.param).toBe(param);
  });

  test('refuses an inactive price (422), prices in two currencies (400), and changing a link’s prices (400)', async () => {
    const retired = await price();
    await api.call('admin', 'POST', `/v1/prices/${retired}`, { active: false });
    const inactive = await api.call('sales', 'POST', '/v1/payment-links', { line_items: [{ price: retired, quantity: 1 }] });
    expect(inactive.status).toBe(422);
    expect(inactive.body.error).toMatchObject({ code: 'price_inactive', param: 'line_items[0][price]' });

    const usd = await price();
    const eur = await price({ currency: 'eur' });
    const mixed = await api.call('sales', 'POST', '/v1/payment-links', { line_items: [{ price: usd, quantity: 1 }, { price: eur, quantity: 1 }] });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error).toMatchObject({ code: 'currency_mismatch', param: 'line_items[1][price]' });

    const link = await api.call('sales', 'POST', '/v1/payment-links', { line_items: [{ price: usd, quantity: 1 }] });
    const swap = await api.call('sales', 'POST', `/v1/payment-links/${link.body.id}`, { line_items: [{ price: eur, quantity: 1 }] });
    expect(swap.status).toBe(400);
    expect(swap.body.error.param).toBe('line_items[0][price]');
  });
});
