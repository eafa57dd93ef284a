/**
 * Subscription list filters, each customer's MRR and next renewal date, and plans (prices) duplicated
 * and updated, through the real API, worker, Temporal dev server and PostgreSQL. Every subscription is
 * created through `POST /v1/subscriptions` and billed for period 0 by its workflow at once.
 */
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { eventually } from '../support/eventually';

let api: ApiHarness;
beforeAll(async () => {
  // The machine may be busy with other suites: give workflows time to answer before a 503.
  api = await startApiHarness({ workflowAnswerTimeoutMs: 60_000 });
});
afterAll(async () => {
  await api?.close();
});

const SLOW = { timeoutMs: 90_000, intervalMs: 250 };
const DAY_MS = 86_400_000;

type Recurring = { interval: 'day' | 'week' | 'month' | 'year'; interval_count?: number };

async function product(name = 'Plan'): Promise<string> {
  const res = await api.call('admin', 'POST', '/v1/products', { name });
  expect(res.status).toBe(200);
  return res.body.id;
}

async function price(productId: string, unitAmount: number, recurring?: Recurring, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await api.call('admin', 'POST', '/v1/prices', { product: productId, currency: 'usd', unit_amount: unitAmount, recurring, ...extra });
  expect(res.status).toBe(200);
  return res.body.id;
}

async function customer(fields: Record<string, unknown> = {}): Promise<string> {
  const res = await api.call('sales', 'POST', '/v1/customers', {
    email: `mrr-${Date.now()}@example.com`,
    name: 'Subscriber',
    currency: 'usd',
    default_payment_method: 'pm_card_visa',
    ...fields,
  });
  expect(res.status).toBe(200);
  return res.body.id;
}

/** A subscription, once its workflow has billed period 0 (so its next billing date is the next period's). */
async function subscribe(cus: string, priceId: string, extra: Record<string, unknown> = {}) {
  const created = await api.call('sales', 'POST', '/v1/subscriptions', { customer: cus, price: priceId, ...extra });
  expect(created.status).toBe(200);
  return eventually(async () => {
    const res = await api.call('admin', 'GET', `/v1/subscriptions/${created.body.id}`);
    expect(res.body.current_period?.index).toBe(0);
    expect(res.body.next_billing_date).not.toBeNull();
    return res.body as { id: string; status: string; next_billing_date: string; created_at: string; unit_amount: number };
  }, SLOW);
}

const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((s) => s.id);

describe('subscription list filters', () => {
  let cus: string;
  let productP: string;
  let productQ: string;
  let monthlyP: string;
  let yearlyP: string;
  let s1: Awaited<ReturnType<typeof subscribe>>; // P monthly, charged automatically
  let s2: Awaited<ReturnType<typeof subscribe>>; // P yearly, invoiced
  let s3: Awaited<ReturnType<typeof subscribe>>; // Q monthly

  beforeAll(async () => {
    cus = await customer();
    productP = await product('Team');
    productQ = await product('Storage');
    monthlyP = await price(productP, 2900, { interval: 'month' });
    yearlyP = await price(productP, 29000, { interval: 'year' });
    const monthlyQ = await price(productQ, 500, { interval: 'month' });
    s1 = await subscribe(cus, monthlyP);
    s2 = await subscribe(cus, yearlyP, { collection_method: 'send_invoice' });
    s3 = await subscribe(cus, monthlyQ);
  }, 300_000);

  const list = (query: string) => api.call('operator', 'GET', `/v1/subscriptions?${query}`);

  test('product: subscriptions to any of its prices', async () => {
    expect(ids(await list(`product=${productP}`))).toEqual([s2.id, s1.id]);
    expect(ids(await list(`product=${productQ}`))).toEqual([s3.id]);
    expect(ids(await list(`product=${productP}&price=${yearlyP}`))).toEqual([s2.id]);
    expect(ids(await list(`product=${productQ}&price=${yearlyP}`))).toEqual([]);
    const unknown = await list('product=prod_missing');
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({ object: 'list', data: [], has_more: false });
  });

  test('next billing date before and after an instant, and between two', async () => {
    // Period 0 was billed today: the monthly ones bill next in about a month, the yearly one in a year.
    const in60Days = new Date(Date.now() + 60 * DAY_MS).toISOString();
    expect(ids(await list(`customer=${cus}&next_billing_date[lte]=${in60Days}`))).toEqual([s3.id, s1.id]);
    expect(ids(await list(`customer=${cus}&next_billing_date[gte]=${in60Days}`))).toEqual([s2.id]);
    // Both bounds are inclusive: an exact next billing date matches either way.
    expect(ids(await list(`customer=${cus}&next_billing_date[gte]=${s1.next_billing_date}&next_billing_date[lte]=${s1.next_billing_date}`))).toEqual([s1.id]);
    const tomorrow = new Date(Date.now() + DAY_MS).toISOString();
    expect(ids(await list(`customer=${cus}&next_billing_date[gte]=${tomorrow}&next_billing_date[lte]=${in60Days}`))).toEqual([s3.id, s1.id]);
    // An offset other than Z is the same instant.
    const withOffset = s2.next_billing_date.replace(/Z$/, '+00:00');
    expect(ids(await list(`customer=${cus}&next_billing_date[gte]=${encodeURIComponent(withOffset)}`))).toEqual([s2.id]);
  });

  test('collection method and creation date', async () => {
    expect(ids(await list(`customer=${cus}&collection_method=send_invoice`))).toEqual([s2.id]);
    expect(ids(await list(`customer=${cus}&collection_method=charge_automatically`))).toEqual([s3.id, s1.id]);
    expect(ids(await list(`customer=${cus}&created[gte]=${s2.created_at}`))).toEqual([s3.id, s2.id]);
    expect(ids(await list(`customer=${cus}&created[lte]=${s1.created_at}`))).toEqual([s1.id]);
    expect(ids(await list(`customer=${cus}&status=active&created[gte]=${s1.created_at}&created[lte]=${s2.created_at}`))).toEqual([s2.id, s1.id]);
  });

  test('a filtered list pages with the cursor', async () => {
    const first = await list(`product=${productP}&limit=1`);
    expect(ids(first)).toEqual([s2.id]);
    expect(first.body.has_more).toBe(true);
    const second = await list(`product=${productP}&limit=1&starting_after=${s2.id}`);
    expect(ids(second)).toEqual([s1.id]);
    expect(second.body.has_more).toBe(false);
    const byDate = await list(`customer=${cus}&next_billing_date[lte]=${new Date(Date.now() + 60 * DAY_MS).toISOString()}&limit=1&starting_after=${s3.id}`);
    expect(ids(byDate)).toEqual([s1.id]);
    expect(byDate.body.has_more).toBe(false);
  });

  test('every filter at once, with and without a cursor, one after another on the same connections', async () => {
    const from = new Date(Date.parse(s1.created_at) - DAY_MS).toISOString();
    const to = new Date(Date.now() + 400 * DAY_MS).toISOString();
    const all =
      `status=active&customer=${cus}&collection_method=send_invoice&next_billing_date[gte]=${from}&next_billing_date[lte]=${to}` +
      `&created[gte]=${from}&created[lte]=${to}&price=${yearlyP}&product=${productP}`;
    // Each combination is a prepared statement named after its filters; two combinations whose names
    // PostgreSQL cut to the same 63 bytes would fail on the connection that prepared the other one.
    for (let round = 0; round < 4; round += 1) {
      const everything = await list(all);
      expect(everything.status).toBe(200);
      expect(ids(everything)).toEqual([s2.id]);
      const afterS3 = await list(`${all}&starting_after=${s3.id}`);
      expect(afterS3.status).toBe(200);
      expect(ids(afterS3)).toEqual([s2.id]);
      const afterS2 = await list(`${all}&starting_after=${s2.id}`);
      expect(ids(afterS2)).toEqual([]);
    }
  });

  test.each([
    ['next_billing_date[gte]', 'next_billing_date[gte]=tomorrow'],
    ['next_billing_date[lte]', 'next_billing_date[lte]=2026-13-01T00:00:00Z'],
    ['created[gte]', 'created[gte]=2026-01-01'],
    // A leap second passes the date-time format but is no JavaScript Date: still a 400, not a 500.
    ['created[lte]', 'created[lte]=2016-12-31T23:59:60Z'],
    ['collection_method', 'collection_method=cash'],
    ['product', `product=${'p'.repeat(65)}`],
    ['next_billing_date[gt]', 'next_billing_date[gt]=2026-01-01T00:00:00Z'],
  ])('an invalid %s is a 400 naming it', async (param, query) => {
    const res = await list(query);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param });
  });
});

describe('customer MRR and next renewal date', () => {
  test('a mix of frequencies: exact cents, rounded once; a canceled subscription is left out', async () => {
    const created = await api.call('sales', 'POST', '/v1/customers', {
      email: `mix-${Date.now()}@example.com`,
      name: 'Mixed plans',
      currency: 'usd',
      default_payment_method: 'pm_card_visa',
    });
    expect(created.body).toMatchObject({ mrr: 0, next_renewal_date: null });
    const cus = created.body.id as string;
    const plans = await product('Mixed');

    const monthly = await subscribe(cus, await price(plans, 2900, { interval: 'month' }), { quantity: 2 });
    const yearly = await subscribe(cus, await price(plans, 30000, { interval: 'year' }));
    const weekly = await subscribe(cus, await price(plans, 1000, { interval: 'week' }));
    const quarterly = await subscribe(cus, await price(plans, 9000, { interval: 'month', interval_count: 3 }));
    const canceled = await subscribe(cus, await price(plans, 5000, { interval: 'month' }));
    const cancel = await api.call('operator', 'POST', `/v1/subscriptions/${canceled.id}/cancel`);
    expect(cancel.body.status).toBe('canceled');

    // By hand, in cents per month:
    //   29.00 monthly × 2        = 5800
    //   300.00 yearly   / 12     = 2500
    //   10.00 weekly × 52 / 12   = 4333 1/3
    //   90.00 every 3 months / 3 = 3000
    //   50.00 monthly, canceled  = left out
    // Sum 15633 1/3, rounded half-up once: 15633 (USD 156.33).
    const expectedMrr = 15633;
    // The weekly one renews first, a week after it was billed.
    const expectedRenewal = [monthly, yearly, weekly, quarterly].map((s) => s.next_billing_date).sort()[0];
    expect(expectedRenewal).toBe(weekly.next_billing_date);

    const retrieved = await api.call('sales', 'GET', `/v1/customers/${cus}`);
    expect(retrieved.status).toBe(200);
    expect(retrieved.body).toMatchObject({ mrr: expectedMrr, next_renewal_date: expectedRenewal, instalment_balances: [] });

    const listed = await api.call('operator', 'GET', `/v1/customers?email=${encodeURIComponent(created.body.email)}`);
    expect(listed.body.data).toEqual([expect.objectContaining({ id: cus, mrr: expectedMrr, next_renewal_date: expectedRenewal })]);

    const card = await api.call('operator', 'POST', `/v1/customers/${cus}/payment-method`, { payment_method: 'pm_card_mastercard' });
    expect(card.body).toMatchObject({ mrr: expectedMrr, next_renewal_date: expectedRenewal });
  }, 300_000);

  test('past_due counts as revenue; a scheduled start does not renew anything yet', async () => {
    const cus = await customer({ default_payment_method: 'pm_card_chargeDeclinedExpiredCard' });
    const plans = await product('Dunning');
    const created = await api.call('sales', 'POST', '/v1/subscriptions', { customer: cus, price: await price(plans, 1234, { interval: 'month' }) });
    const pastDue = await eventually(async () => {
      const res = await api.call('admin', 'GET', `/v1/subscriptions/${created.body.id}`);
      expect(res.body.status).toBe('past_due');
      return res.body;
    }, SLOW);
    const start = new Date(Date.now() + 10 * DAY_MS).toISOString();
    const scheduled = await api.call('sales', 'POST', '/v1/subscriptions', {
      customer: cus,
      price: await price(plans, 9900, { interval: 'month' }),
      start_date: start,
      collection_method: 'send_invoice',
    });
    expect(scheduled.body).toMatchObject({ status: 'scheduled', next_billing_date: start });

    const res = await api.call('admin', 'GET', `/v1/customers/${cus}`);
    // Only the past_due 12.34 a month; the scheduled one bills nothing yet and is not a renewal.
    expect(res.body.mrr).toBe(1234);
    expect(res.body.next_renewal_date).toBe(pastDue.next_billing_date);
  }, 300_000);

  test('a page of customers gets its figures in the same two queries however many customers it has', async () => {
    // This run's own address (customers-and-catalog.test.ts pages through customers of a `page-` address too).
    const email = `page-${process.pid}-${Date.now()}@example.com`;
    const plans = await product('Page');
    const yearly = await price(plans, 1001, { interval: 'year' });
    const withPlan = await customer({ email });
    const without = await customer({ email });
    await subscribe(withPlan, yearly, { quantity: 3 });

    const statements: string[] = [];
    const connection = api.orm.em.getConnection();
    const execute = connection.execute.bind(connection);
    const spy = jest.spyOn(connection, 'execute').mockImplementation((query, ...rest) => {
      if (typeof query === 'string') statements.push(query);
      return execute(query, ...rest);
    });
    let listed;
    try {
      listed = await api.call('sales', 'GET', `/v1/customers?email=${encodeURIComponent(email)}`);
    } finally {
      spy.mockRestore();
    }
    // 10.01 × 3 a year = 3003 / 12 = 250.25 cents a month: 250.
    expect(listed.body.data).toEqual([
      expect.objectContaining({ id: without, mrr: 0, next_renewal_date: null }),
      expect.objectContaining({ id: withPlan, mrr: 250 }),
    ]);
    expect(statements.filter((q) => /from subscriptions/.test(q))).toHaveLength(2);
  }, 300_000);
});

describe('plans: duplicating and updating a price', () => {
  test('a duplicate copies product, currency, type and interval; the original and its subscriptions are untouched', async () => {
    const plans = await product('Pro');
    const original = await price(plans, 2900, { interval: 'month', interval_count: 3 }, { nickname: 'Pro quarterly', metadata: { tier: 'pro' } });
    const cus = await customer();
    const sub = await subscribe(cus, original);

    expect((await api.call('sales', 'POST', `/v1/prices/${original}/duplicate`, { unit_amount: 3500 })).status).toBe(403);
    const dup = await api.call('admin', 'POST', `/v1/prices/${original}/duplicate`, { nickname: 'Pro quarterly 2027', unit_amount: 3500 });
    expect(dup.status).toBe(200);
    expect(dup.body).toMatchObject({
      object: 'price',
      product: plans,
      currency: 'usd',
      type: 'recurring',
      recurring: { interval: 'month', interval_count: 3 },
      frequency: 'every 3 months',
      unit_amount: 3500,
      nickname: 'Pro quarterly 2027',
      active: true,
      metadata: { tier: 'pro' },
    });
    expect(dup.body.id).not.toBe(original);

    const same = await api.call('admin', 'POST', `/v1/prices/${original}/duplicate`);
    expect(same.body).toMatchObject({ unit_amount: 2900, nickname: 'Pro quarterly', metadata: { tier: 'pro' } });
    const ownMetadata = await api.call('admin', 'POST', `/v1/prices/${original}/duplicate`, { metadata: { tier: 'pro-2' } });
    expect(ownMetadata.body.metadata).toEqual({ tier: 'pro-2' });

    expect((await api.call('sales', 'GET', `/v1/prices/${original}`)).body).toMatchObject({ unit_amount: 2900, nickname: 'Pro quarterly', active: true });
    expect((await api.call('sales', 'GET', `/v1/subscriptions/${sub.id}`)).body).toMatchObject({ price: original, unit_amount: 2900 });

    // Both plans are the product's: the product filter finds subscriptions to either.
    const onDuplicate = await subscribe(cus, dup.body.id);
    expect(onDuplicate.unit_amount).toBe(3500);
    expect(ids(await api.call('operator', 'GET', `/v1/subscriptions?product=${plans}`))).toEqual([onDuplicate.id, sub.id]);
    const prices = await api.call('sales', 'GET', `/v1/prices?product=${plans}`);
    expect(prices.body.data).toHaveLength(4);
  }, 300_000);

  test('a one-time price duplicates as one-time', async () => {
    const oneTime = await price(await product('Setup'), 15000);
    const dup = await api.call('admin', 'POST', `/v1/prices/${oneTime}/duplicate`, { unit_amount: 12000 });
    expect(dup.body).toMatchObject({ type: 'one_time', recurring: null, frequency: 'one-time', unit_amount: 12000 });
  });

  test('updating nickname, active and metadata; a deactivated price starts no new subscription, existing ones go on', async () => {
    const plans = await product('Legacy');
    const legacy = await price(plans, 1900, { interval: 'month' }, { nickname: 'Basic', metadata: { tier: 'basic', region: 'eu' } });
    const cus = await customer();
    const sub = await subscribe(cus, legacy);

    expect((await api.call('operator', 'POST', `/v1/prices/${legacy}`, { active: false })).status).toBe(403);
    const updated = await api.call('admin', 'POST', `/v1/prices/${legacy}`, { nickname: 'Basic (legacy)', active: false, metadata: { tier: '', legacy: 'yes' } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ nickname: 'Basic (legacy)', active: false, unit_amount: 1900, metadata: { region: 'eu', legacy: 'yes' } });
    expect(updated.body.metadata).not.toHaveProperty('tier');

    const refused = await api.call('sales', 'POST', '/v1/subscriptions', { customer: cus, price: legacy });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('price_inactive');
    expect((await api.call('admin', 'GET', `/v1/subscriptions/${sub.id}`)).body.status).toBe('active');

    const cleared = await api.call('admin', 'POST', `/v1/prices/${legacy}`, { nickname: '', active: true });
    expect(cleared.body).toMatchObject({ nickname: null, active: true });
    // A deactivated price can still be duplicated into a new, active plan.
    await api.call('admin', 'POST', `/v1/prices/${legacy}`, { active: false });
    expect((await api.call('admin', 'POST', `/v1/prices/${legacy}/duplicate`, { unit_amount: 2100 })).body).toMatchObject({ active: true, unit_amount: 2100 });
  }, 300_000);

  test.each([
    ['update', 'unit_amount', { unit_amount: 100 }],
    ['update', 'currency', { currency: 'eur' }],
    ['update', 'recurring', { recurring: { interval: 'year' } }],
    ['update', 'active', { active: 'maybe' }],
    ['update', 'nickname', { nickname: 'n'.repeat(201) }],
    ['duplicate', 'unit_amount', { unit_amount: 10.5 }],
    ['duplicate', 'unit_amount', { unit_amount: -1 }],
    ['duplicate', 'unit_amount', { unit_amount: '100' }],
    ['duplicate', 'currency', { currency: 'eur' }],
    ['duplicate', 'metadata[tier]', { metadata: { tier: 1 } }],
  ])('%s with an invalid %s is a 400 naming it, and nothing changes', async (action, param, body) => {
    const priceId = await price(await product('Strict'), 4200, { interval: 'month' });
    const url = action === 'update' ? `/v1/prices/${priceId}` : `/v1/prices/${priceId}/duplicate`;
    const before = await api.call('admin', 'GET', `/v1/prices?product=${(await api.call('admin', 'GET', `/v1/prices/${priceId}`)).body.product}`);
    const res = await api.call('admin', 'POST', url, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param });
    const after = await api.call('admin', 'GET', `/v1/prices?product=${before.body.data[0].product}`);
    expect(after.body.data).toEqual(before.body.data);
  });

  test('an unknown price is a 404 for both', async () => {
    expect((await api.call('admin', 'POST', '/v1/prices/price_missing', { active: false })).status).toBe(404);
    expect((await api.call('admin', 'POST', '/v1/prices/price_missing/duplicate', {})).status).toBe(404);
  });
});
