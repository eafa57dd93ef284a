/** Customers, products, prices, API keys, idempotency and the error shape, through the real API. */
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { hashApiKey } from '../../services/access/api-keys';
import { buildApp } from '../../api/app';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { TEST_RATE_LIMITS } from '../support/rate-limits';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});

const validCustomer = { email: 'grace@example.com', name: 'Grace Hopper', currency: 'usd', time_zone: 'America/New_York' };

describe('authentication and roles', () => {
  test('every /v1 route needs an API key', async () => {
    const none = await api.call(null, 'GET', '/v1/customers');
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ type: 'authentication_error', code: 'api_key_invalid' });

    const wrong = await api.app.inject({ method: 'GET', url: '/v1/customers', headers: { authorization: 'Bearer bk_not_a_real_key' } });
    expect(wrong.statusCode).toBe(401);
  });

  test('roles limit what a key can do', async () => {
    const sales = await api.call('sales', 'POST', '/v1/products', { name: 'Gold' });
    expect(sales.status).toBe(403);
    expect(sales.body.error).toMatchObject({ type: 'permission_error', code: 'role_not_allowed' });
    expect((await api.call('sales', 'POST', '/v1/customers', validCustomer)).status).toBe(200);
    expect((await api.call('operator', 'GET', '/v1/customers')).status).toBe(200);
    expect((await api.call('operator', 'GET', '/v1/api-keys')).status).toBe(403);
  });

  test('keys are stored hashed, issued once and can be revoked', async () => {
    const created = await api.call('admin', 'POST', '/v1/api-keys', { name: 'ci', role: 'operator' });
    expect(created.status).toBe(200);
    expect(created.body.secret).toMatch(/^bk_/);
    const rows = await api.orm.em.fork().execute<{ key_hash: string }[]>('select key_hash from api_keys where id = ?', [created.body.id]);
    expect(rows[0]!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.key_hash).not.toContain(created.body.secret);

    const withNewKey = await api.app.inject({ method: 'GET', url: '/v1/customers', headers: { authorization: `Bearer ${created.body.secret}` } });
    expect(withNewKey.statusCode).toBe(200);
    expect((await api.call('admin', 'POST', `/v1/api-keys/${created.body.id}/revoke`)).status).toBe(200);
    const afterRevoke = await api.app.inject({ method: 'GET', url: '/v1/customers', headers: { authorization: `Bearer ${created.body.secret}` } });
    expect(afterRevoke.statusCode).toBe(401);
  });
});

describe('customers', () => {
  test('create, retrieve and list with a cursor', async () => {
    // This run's own address (subscription-lists-and-mrr.test.ts lists its page of customers by a `page-` address too).
    const email = `page-${process.pid}-${Date.now()}@example.com`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api.call('admin', 'POST', '/v1/customers', { ...validCustomer, email, billing_address: { city: 'Arlington', country: 'US' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ object: 'customer', currency: 'usd', time_zone: 'America/New_York', billing_address: { city: 'Arlington' } });
      ids.push(res.body.id);
    }
    const got = await api.call('operator', 'GET', `/v1/customers/${ids[0]}`);
    expect(got.body.id).toBe(ids[0]);

    const page1 = await api.call('admin', 'GET', `/v1/customers?email=${encodeURIComponent(email)}&limit=2`);
    expect(page1.body.data.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]); // newest first
    expect(page1.body.has_more).toBe(true);
    const page2 = await api.call('admin', 'GET', `/v1/customers?email=${encodeURIComponent(email)}&limit=2&starting_after=${ids[1]}`);
    expect(page2.body.data.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
    expect(page2.body.has_more).toBe(false);
  });

  test.each([
    [{ ...validCustomer, email: 'not-an-email' }, 'email', 'parameter_invalid'],
    [{ email: 'a@example.com', currency: 'usd' }, 'name', 'parameter_missing'],
    [{ ...validCustomer, currency: 'xxq' }, 'currency', 'parameter_invalid'],
    [{ ...validCustomer, currency: 'dollars' }, 'currency', 'parameter_invalid'],
    [{ ...validCustomer, time_zone: 'Mars/Olympus' }, 'time_zone', 'parameter_invalid'],
    [{ ...validCustomer, billing_address: { country: 'usa' } }, 'billing_address[country]', 'parameter_invalid'],
    [{ ...validCustomer, plan: 'gold' }, 'plan', 'parameter_unknown'],
  ])('bad input %j is a 400 naming %s', async (body, param, code) => {
    const res = await api.call('admin', 'POST', '/v1/customers', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param, code });
  });

  test('a body that is not JSON is a 400, an unknown id a 404, an unknown route a 404', async () => {
    const bad = await api.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { authorization: `Bearer ${api.keys.admin}`, 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.param).toBe('body');

    const missing = await api.call('admin', 'GET', '/v1/customers/cus_doesnotexist');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'resource_missing', message: "No such customer: 'cus_doesnotexist'" });
    expect((await api.call('admin', 'GET', '/v1/nothing-here')).status).toBe(404);
    expect((await api.call('admin', 'GET', '/v1/customers?limit=0')).body.error.param).toBe('limit');
  });
});

describe('products and prices', () => {
  test('a recurring price keeps integer minor units and its interval', async () => {
    const product = await api.call('admin', 'POST', '/v1/products', { name: 'Analytics', description: 'Dashboards' });
    expect(product.status).toBe(200);
    const price = await api.call('admin', 'POST', '/v1/prices', {
      product: product.body.id,
      currency: 'JPY',
      unit_amount: 4800,
      recurring: { interval: 'month', interval_count: 3 },
    });
    expect(price.status).toBe(200);
    expect(price.body).toMatchObject({ currency: 'jpy', unit_amount: 4800, type: 'recurring', recurring: { interval: 'month', interval_count: 3 }, frequency: 'every 3 months' });

    const list = await api.call('sales', 'GET', `/v1/prices?product=${product.body.id}`);
    expect(list.body.data.map((p: { id: string }) => p.id)).toEqual([price.body.id]);
  });

  test.each([
    [{ currency: 'usd', unit_amount: 12.5 }, 'unit_amount', 400],
    [{ currency: 'usd', unit_amount: -1 }, 'unit_amount', 400],
    [{ currency: 'usd', unit_amount: 100, recurring: { interval: 'fortnight' } }, 'recurring[interval]', 400],
    [{ currency: 'usd', unit_amount: 100, recurring: { interval: 'month', interval_count: 0 } }, 'recurring[interval_count]', 400],
  ])('bad price %j is a %s error', async (fields, param, status) => {
    const product = await api.call('admin', 'POST', '/v1/products', { name: 'Widget' });
    const res = await api.call('admin', 'POST', '/v1/prices', { product: product.body.id, ...fields });
    expect(res.status).toBe(status);
    expect(res.body.error.param).toBe(param);
  });

  test('a price for an unknown product names the product param', async () => {
    const res = await api.call('admin', 'POST', '/v1/prices', { product: 'prod_missing', currency: 'usd', unit_amount: 100 });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'resource_missing', param: 'product' });
  });
});

describe('Idempotency-Key', () => {
  test('a repeated create returns the first result and creates nothing more', async () => {
    const key = `idem-${Date.now()}`;
    const email = `${key}@example.com`;
    const first = await api.call('sales', 'POST', '/v1/customers', { ...validCustomer, email }, { 'idempotency-key': key });
    const second = await api.call('sales', 'POST', '/v1/customers', { ...validCustomer, email }, { 'idempotency-key': key });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const list = await api.call('admin', 'GET', `/v1/customers?email=${encodeURIComponent(email)}`);
    expect(list.body.data).toHaveLength(1);
  });

  test('the same key with other parameters is refused', async () => {
    const key = `idem-other-${Date.now()}`;
    await api.call('sales', 'POST', '/v1/customers', validCustomer, { 'idempotency-key': key });
    const reused = await api.call('sales', 'POST', '/v1/customers', { ...validCustomer, name: 'Someone Else' }, { 'idempotency-key': key });
    expect(reused.status).toBe(400);
    expect(reused.body.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_reused' });
  });

  test('a key whose first request is still running is a 409, not a second create', async () => {
    const key = `idem-busy-${Date.now()}`;
    const [salesKey] = await api.orm.em.fork().execute<{ id: string }[]>(`select id from api_keys where key_hash = ?`, [
      hashApiKey(api.keys.sales),
    ]);
    await api.orm.em.fork().execute(
      `insert into idempotency_keys (api_key_id, key, method, path, request_hash, status) values (?, ?, 'POST', '/v1/customers', 'x', 'in_progress')`,
      [salesKey!.id, key],
    );
    const res = await api.call('sales', 'POST', '/v1/customers', validCustomer, { 'idempotency-key': key });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_in_use' });
  });
});

describe('input found by fuzzing the API with schemathesis (test/api/fuzz.test.ts)', () => {
  // Counted narrowly: other test files (the fuzzer above all) create keys and prices in the same database meanwhile.
  const count = async (table: string, where: string, params: unknown[]) =>
    Number((await api.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from ${table} where ${where}`, params))[0]!.n);

  test('a NUL character anywhere is a 400 naming the field, not a 500 from PostgreSQL', async () => {
    // A key named like the refused one, without its NUL, is what a half-stored request would leave.
    const keysBefore = await count('api_keys', "name like '*\u00f8%B'", []);
    const body = await api.call('admin', 'POST', '/v1/api-keys', { name: '*\u00f8\u0000B', role: 'admin' });
    expect(body.status).toBe(400);
    expect(body.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'name' });
    expect(await count('api_keys', "name like '*\u00f8%B'", [])).toBe(keysBefore);

    const nested = await api.call('admin', 'POST', '/v1/customers', { ...validCustomer, metadata: { plan: 'gold\u0000' } });
    expect(nested.body.error).toMatchObject({ param: 'metadata[plan]' });
    const key = await api.call('admin', 'POST', '/v1/customers', { ...validCustomer, metadata: { 'pl\u0000an': 'gold' } });
    expect(key.body.error).toMatchObject({ param: 'metadata' });
    const path = await api.call('admin', 'GET', '/v1/customers/cus_%00');
    expect(path.status).toBe(400);
    expect(path.body.error).toMatchObject({ param: 'id' });
    const query = await api.call('admin', 'GET', '/v1/customers?email=a%00@example.com');
    expect(query.status).toBe(400);
    expect(query.body.error).toMatchObject({ param: 'email' });
  });

  test.each([
    ['unit_amount', { unit_amount: null }, 'must be integer'], // was coerced to 0: a free price
    ['unit_amount', { unit_amount: true }, 'must be integer'], // was coerced to 1
    ['unit_amount', { unit_amount: '2900' }, 'must be integer'],
    ['metadata[tier]', { unit_amount: 100, metadata: { tier: null } }, 'must be string'], // was stored as ""
    ['nickname', { unit_amount: 100, nickname: 42 }, 'must be string'],
  ])('a JSON body is not type-coerced: %s in %j is a 400', async (param, fields, message) => {
    const product = await api.call('admin', 'POST', '/v1/products', { name: 'Strict' });
    const pricesBefore = await count('prices', 'product_id = ?', [product.body.id]);
    const res = await api.call('admin', 'POST', '/v1/prices', { product: product.body.id, currency: 'usd', ...fields });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'parameter_invalid', param, message: `Invalid ${param}: ${message}.` });
    expect(await count('prices', 'product_id = ?', [product.body.id])).toBe(pricesBefore);
  });

  test('query strings are still coerced: ?limit=2&active=true', async () => {
    const res = await api.call('sales', 'GET', '/v1/products?limit=2&active=true');
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeLessThanOrEqual(2);
  });

  test('a path id too long for the router or a malformed URL gets the API error shape', async () => {
    const long = await api.call('admin', 'GET', `/v1/invoices/${'x'.repeat(101)}`); // was Fastify's own 414 body
    expect(long.status).toBe(400);
    expect(long.body).toEqual({ error: expect.objectContaining({ type: 'invalid_request_error', code: 'parameter_invalid' }) });
    const malformed = await api.call('admin', 'GET', '/v1/customers/%E0%A4%A');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ error: expect.objectContaining({ type: 'invalid_request_error', code: 'url_invalid' }) });
  });

  test('the OpenAPI document tells what the API does: optional limit and bodies, public health checks', async () => {
    const doc = JSON.parse((await api.app.inject({ method: 'GET', url: '/openapi.json' })).body);
    const limit = doc.paths['/v1/customers'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false });
    expect(limit.schema.default).toBe(10);
    expect(doc.paths['/v1/subscriptions/{id}/cancel'].post.requestBody.required).toBe(false);
    expect(doc.paths['/v1/customers'].post.requestBody.required).toBe(true);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.paths['/readyz'].get.security).toEqual([]);
    expect(doc.paths['/v1/customers'].get.security).toBeUndefined(); // the document-wide bearer key applies
  });
});

describe('health and documentation', () => {
  test('/healthz answers and /readyz checks PostgreSQL and Temporal', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', database: { ok: true }, temporal: { ok: true } });
  });

  test('/readyz is a 503 naming the dependency that does not answer', async () => {
    // Without the SDK's retry interceptor: its retries outlive the probe's 2 s, and one firing after the
    // connection is closed below throws "Channel has been shut down" into whichever test file runs next.
    const deadTemporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', interceptors: [] }) });
    const app = await buildApp({ orm: api.orm, temporal: deadTemporal, taskQueue: 'unused', logger: pino({ level: 'silent' }), rateLimits: TEST_RATE_LIMITS });
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(JSON.parse(res.body)).toMatchObject({ status: 'unavailable', database: { ok: true }, temporal: { ok: false } });
    } finally {
      await app.close();
      // The app does not own the client it was given; left open, its connection kept Jest's worker alive.
      await deadTemporal.connection.close();
    }
  });

  test('the OpenAPI document lists every resource and the docs page is served', async () => {
    const doc = JSON.parse((await api.app.inject({ method: 'GET', url: '/openapi.json' })).body);
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/v1/customers', '/v1/products', '/v1/prices', '/v1/subscriptions', '/v1/subscriptions/{id}/pause', '/v1/invoices', '/v1/payments', '/v1/emails']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const docs = await api.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });
});
