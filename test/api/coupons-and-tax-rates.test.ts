/**
 * Coupons and tax rates as catalog resources through the real API and PostgreSQL: create, retrieve,
 * list, update (only what may change), delete; validation errors naming the field; and a coupon's
 * max_redemptions holding when many subscriptions redeem it at once.
 */
import { randomUUID } from 'node:crypto';
import { startApiHarness, type ApiHarness } from '../support/api-harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});

/** The harness calls GET and POST; DELETE goes through the app the same way. */
async function del(url: string) {
  const response = await api.app.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${api.keys.admin}` } });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe('coupons', () => {
  test('create, retrieve, list, update name and metadata, delete', async () => {
    const created = await api.call('admin', 'POST', '/v1/coupons', {
      name: 'Launch 20 %',
      percent_off: '20',
      duration: 'repeating',
      duration_in_periods: 3,
      max_redemptions: 10,
      redeem_by: future(30),
      metadata: { campaign: 'launch', owner: 'growth' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      object: 'coupon',
      name: 'Launch 20 %',
      percent_off: '20',
      amount_off: null,
      currency: null,
      duration: 'repeating',
      duration_in_periods: 3,
      max_redemptions: 10,
      times_redeemed: 0,
      valid: true,
      metadata: { campaign: 'launch', owner: 'growth' },
    });
    expect(created.body.id).toMatch(/^co_/);
    const id = created.body.id as string;

    const fixed = await api.call('admin', 'POST', '/v1/coupons', { name: '$5 off once', amount_off: 500, currency: 'USD', duration: 'once' });
    expect(fixed.body).toMatchObject({ percent_off: null, amount_off: 500, currency: 'usd', duration: 'once', duration_in_periods: null, max_redemptions: null });

    // Every role reads the catalog.
    for (const role of ['admin', 'operator', 'sales'] as const) {
      expect((await api.call(role, 'GET', `/v1/coupons/${id}`)).body).toEqual(created.body);
    }
    // Newest first. Other test files (the fuzzer) may add coupons meanwhile, so look at order, not neighbours.
    const listed = (await api.call('sales', 'GET', '/v1/coupons?limit=100')).body.data.map((c: { id: string }) => c.id);
    expect(listed.indexOf(fixed.body.id)).toBeGreaterThanOrEqual(0);
    expect(listed.indexOf(fixed.body.id)).toBeLessThan(listed.indexOf(id));

    const updated = await api.call('admin', 'POST', `/v1/coupons/${id}`, { name: 'Launch', metadata: { owner: '', region: 'eu' } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Launch', percent_off: '20', metadata: { campaign: 'launch', region: 'eu' } });
    expect(updated.body.metadata).not.toHaveProperty('owner');

    const deleted = await del(`/v1/coupons/${id}`);
    expect(deleted.body).toEqual({ id, object: 'coupon', deleted: true });
    expect((await api.call('admin', 'GET', `/v1/coupons/${id}`)).status).toBe(404);
    expect((await del(`/v1/coupons/${id}`)).status).toBe(404);
    expect((await api.call('admin', 'POST', `/v1/coupons/${id}`, { name: 'Back' })).status).toBe(404);
    const after = await api.call('admin', 'GET', '/v1/coupons?limit=100');
    expect(after.body.data.map((c: { id: string }) => c.id)).not.toContain(id);
  });

  test.each([
    ['percent_off', { percent_off: '10' }],
    ['amount_off', { amount_off: 100 }],
    ['currency', { currency: 'eur' }],
    ['duration', { duration: 'forever' }],
    ['duration_in_periods', { duration_in_periods: 5 }],
    ['max_redemptions', { max_redemptions: 1 }],
    ['redeem_by', { redeem_by: future(3) }],
  ])('the terms are immutable: updating %s is a 400 naming it and changes nothing', async (param, change) => {
    const coupon = await api.call('admin', 'POST', '/v1/coupons', { name: 'Fixed terms', percent_off: '15', duration: 'once' });
    const res = await api.call('admin', 'POST', `/v1/coupons/${coupon.body.id}`, { name: 'Renamed', ...change });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param });
    expect((await api.call('admin', 'GET', `/v1/coupons/${coupon.body.id}`)).body).toEqual(coupon.body);
  });

  test.each([
    ['no amount', { name: 'x', duration: 'once' }, 'percent_off', 'parameter_missing'],
    ['percent and amount', { name: 'x', duration: 'once', percent_off: '10', amount_off: 100, currency: 'usd' }, 'amount_off', 'parameter_invalid'],
    ['amount without currency', { name: 'x', duration: 'once', amount_off: 100 }, 'currency', 'parameter_missing'],
    ['percentage with a currency', { name: 'x', duration: 'once', percent_off: '10', currency: 'usd' }, 'currency', 'parameter_invalid'],
    ['unknown currency', { name: 'x', duration: 'once', amount_off: 100, currency: 'xyz' }, 'currency', 'parameter_invalid'],
    ['zero percent', { name: 'x', duration: 'once', percent_off: '0' }, 'percent_off', 'parameter_invalid'],
    ['over 100 percent', { name: 'x', duration: 'once', percent_off: '100.5' }, 'percent_off', 'parameter_invalid'],
    ['five decimals', { name: 'x', duration: 'once', percent_off: '12.34567' }, 'percent_off', 'parameter_invalid'],
    ['a number, not a string', { name: 'x', duration: 'once', percent_off: 20 }, 'percent_off', 'parameter_invalid'],
    ['zero amount', { name: 'x', duration: 'once', amount_off: 0, currency: 'usd' }, 'amount_off', 'parameter_invalid'],
    ['fractional amount', { name: 'x', duration: 'once', amount_off: 9.99, currency: 'usd' }, 'amount_off', 'parameter_invalid'],
    ['repeating without periods', { name: 'x', duration: 'repeating', percent_off: '10' }, 'duration_in_periods', 'parameter_missing'],
    ['periods without repeating', { name: 'x', duration: 'forever', percent_off: '10', duration_in_periods: 2 }, 'duration_in_periods', 'parameter_invalid'],
    ['months, not periods', { name: 'x', duration: 'repeating', percent_off: '10', duration_in_months: 2 }, 'duration_in_months', 'parameter_unknown'],
    ['unknown duration', { name: 'x', duration: 'monthly', percent_off: '10' }, 'duration', 'parameter_invalid'],
    ['redeem_by in the past', { name: 'x', duration: 'once', percent_off: '10', redeem_by: '2020-01-01T00:00:00Z' }, 'redeem_by', 'parameter_invalid'],
    ['zero max_redemptions', { name: 'x', duration: 'once', percent_off: '10', max_redemptions: 0 }, 'max_redemptions', 'parameter_invalid'],
    ['no name', { duration: 'once', percent_off: '10' }, 'name', 'parameter_missing'],
  ])('creating with %s is a 400 naming the field', async (_name, body, param, code) => {
    // A name of this test's own, counted: other test files (the fuzzer) create coupons meanwhile.
    const name = `refused-${randomUUID()}`;
    const request = 'name' in body ? { ...body, name } : body;
    const res = await api.call('admin', 'POST', '/v1/coupons', request);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param, code });
    const stored = await api.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from coupons where name = ?', [name]);
    expect(stored[0]!.n).toBe('0');
  });

  test('only admins write coupons', async () => {
    const body = { name: 'Sales special', percent_off: '50', duration: 'forever' };
    expect((await api.call('sales', 'POST', '/v1/coupons', body)).status).toBe(403);
    expect((await api.call('operator', 'POST', '/v1/coupons', body)).status).toBe(403);
  });

  test('max_redemptions holds when subscriptions redeem the coupon concurrently; the list filters by valid', async () => {
    const coupon = await api.call('admin', 'POST', '/v1/coupons', { name: 'First three', percent_off: '50', duration: 'once', max_redemptions: 3 });
    const product = await api.call('admin', 'POST', '/v1/products', { name: 'Daily plan' });
    const price = await api.call('admin', 'POST', '/v1/prices', { product: product.body.id, currency: 'usd', unit_amount: 1000, recurring: { interval: 'day' } });
    const customer = await api.call('sales', 'POST', '/v1/customers', { email: 'race@example.com', name: 'Race', currency: 'usd' });

    const attempts = await Promise.all(
      Array.from({ length: 8 }, () =>
        api.call('sales', 'POST', '/v1/subscriptions', {
          customer: customer.body.id,
          price: price.body.id,
          collection_method: 'send_invoice',
          coupon: coupon.body.id,
        }),
      ),
    );
    const succeeded = attempts.filter((a) => a.status === 200);
    const refused = attempts.filter((a) => a.status !== 200);
    expect(succeeded).toHaveLength(3);
    expect(refused).toHaveLength(5);
    for (const r of refused) expect({ status: r.status, error: r.body.error }).toMatchObject({ status: 400, error: { param: 'coupon', code: 'coupon_not_redeemable' } });
    for (const s of succeeded) expect(s.body.discount).toMatchObject({ coupon: coupon.body.id, start_period: 0 });

    // A refused redemption left no subscription behind.
    const subscriptions = await api.call('sales', 'GET', `/v1/subscriptions?customer=${customer.body.id}&limit=100`);
    expect(subscriptions.body.data).toHaveLength(3);
    const stored = await api.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from subscriptions where coupon_id = ?', [coupon.body.id]);
    expect(Number(stored[0]!.n)).toBe(3);

    const exhausted = await api.call('admin', 'GET', `/v1/coupons/${coupon.body.id}`);
    expect(exhausted.body).toMatchObject({ times_redeemed: 3, valid: false });

    const open = await api.call('admin', 'POST', '/v1/coupons', { name: 'Open', percent_off: '5', duration: 'forever' });
    const valid = await api.call('operator', 'GET', '/v1/coupons?valid=true&limit=100');
    const invalid = await api.call('operator', 'GET', '/v1/coupons?valid=false&limit=100');
    const ids = (page: { body: { data: { id: string; valid: boolean }[] } }) => page.body.data.map((c) => c.id);
    expect(ids(valid)).toContain(open.body.id);
    expect(ids(valid)).not.toContain(coupon.body.id);
    expect(ids(invalid)).toContain(coupon.body.id);
    expect(ids(invalid)).not.toContain(open.body.id);
    expect(valid.body.data.every((c: { valid: boolean }) => c.valid)).toBe(true);
    expect(invalid.body.data.every((c: { valid: boolean }) => !c.valid)).toBe(true);
  });
});

describe('tax rates', () => {
  test('create, retrieve, list with filters, update what may change', async () => {
    const created = await api.call('admin', 'POST', '/v1/tax-rates', {
      display_name: 'Sales tax',
      percentage: '8.875',
      inclusive: false,
      description: 'NYC combined',
      jurisdiction: 'New York City',
      country: 'us',
      metadata: { filing: 'quarterly' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      object: 'tax_rate',
      display_name: 'Sales tax',
      percentage: '8.875',
      inclusive: false,
      active: true,
      description: 'NYC combined',
      jurisdiction: 'New York City',
      country: 'US',
      metadata: { filing: 'quarterly' },
    });
    expect(created.body.id).toMatch(/^txr_/);
    const vat = await api.call('admin', 'POST', '/v1/tax-rates', { display_name: 'VAT', percentage: '20', inclusive: true });
    expect(vat.body).toMatchObject({ percentage: '20', inclusive: true, description: null, jurisdiction: null, country: null, metadata: {} });

    expect((await api.call('sales', 'GET', `/v1/tax-rates/${created.body.id}`)).body).toEqual(created.body);

    const updated = await api.call('admin', 'POST', `/v1/tax-rates/${created.body.id}`, {
      display_name: 'NY sales tax',
      description: '',
      jurisdiction: 'NY',
      active: false,
      metadata: { filing: '', form: 'ST-100' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      display_name: 'NY sales tax',
      description: null,
      jurisdiction: 'NY',
      active: false,
      percentage: '8.875',
      inclusive: false,
      metadata: { form: 'ST-100' },
    });

    const inactive = await api.call('operator', 'GET', '/v1/tax-rates?active=false&limit=100');
    expect(inactive.body.data.map((t: { id: string }) => t.id)).toContain(created.body.id);
    expect(inactive.body.data.every((t: { active: boolean }) => !t.active)).toBe(true);
    const inclusive = await api.call('operator', 'GET', '/v1/tax-rates?inclusive=true&limit=100');
    expect(inclusive.body.data.map((t: { id: string }) => t.id)).toContain(vat.body.id);
    expect(inclusive.body.data.every((t: { inclusive: boolean }) => t.inclusive)).toBe(true);
    const activeExclusive = await api.call('operator', 'GET', '/v1/tax-rates?active=true&inclusive=false&limit=100');
    expect(activeExclusive.body.data.map((t: { id: string }) => t.id)).not.toContain(created.body.id);

    expect((await api.call('admin', 'GET', '/v1/tax-rates/txr_missing')).status).toBe(404);
    expect((await api.call('admin', 'POST', '/v1/tax-rates/txr_missing', { active: true })).status).toBe(404);
    expect((await api.call('sales', 'POST', '/v1/tax-rates', { display_name: 'x', percentage: '1', inclusive: false })).status).toBe(403);

    // A wrong type is refused, never coerced into clearing the field.
    const wrongType = await api.call('admin', 'POST', `/v1/tax-rates/${created.body.id}`, { jurisdiction: false });
    expect(wrongType).toMatchObject({ status: 400, body: { error: { param: 'jurisdiction' } } });
    expect((await api.call('admin', 'GET', `/v1/tax-rates/${created.body.id}`)).body.jurisdiction).toBe('NY');
  });

  test.each([
    ['percentage', { percentage: '10' }],
    ['inclusive', { inclusive: true }],
    ['country', { country: 'DE' }],
  ])('%s is immutable: a 400 naming it, and nothing changes', async (param, change) => {
    const rate = await api.call('admin', 'POST', '/v1/tax-rates', { display_name: 'GST', percentage: '5', inclusive: false, country: 'CA' });
    const res = await api.call('admin', 'POST', `/v1/tax-rates/${rate.body.id}`, { display_name: 'HST', ...change });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ param, code: 'parameter_unknown' });
    expect((await api.call('admin', 'GET', `/v1/tax-rates/${rate.body.id}`)).body).toEqual(rate.body);
  });

  test.each([
    ['over 100', { display_name: 'x', percentage: '100.01', inclusive: false }, 'percentage', 'parameter_invalid'],
    ['five decimals', { display_name: 'x', percentage: '8.87501', inclusive: false }, 'percentage', 'parameter_invalid'],
    ['negative', { display_name: 'x', percentage: '-5', inclusive: false }, 'percentage', 'parameter_invalid'],
    ['a number', { display_name: 'x', percentage: 8.875, inclusive: false }, 'percentage', 'parameter_invalid'],
    ['no inclusive', { display_name: 'x', percentage: '5' }, 'inclusive', 'parameter_missing'],
    ['no display name', { percentage: '5', inclusive: false }, 'display_name', 'parameter_missing'],
    ['three-letter country', { display_name: 'x', percentage: '5', inclusive: false, country: 'USA' }, 'country', 'parameter_invalid'],
  ])('creating with %s is a 400 naming the field', async (_name, body, param, code) => {
    const res = await api.call('admin', 'POST', '/v1/tax-rates', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param, code });
  });
});
