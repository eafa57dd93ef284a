/**
 * Subscriptions with several items, through the real API, worker, Temporal dev server and PostgreSQL:
 * 5 seats × 12.00 and a 30.00 support add-on on one monthly subscription with a tax rate and a coupon.
 * The period's invoice has one line per item and exact totals; the upcoming invoice prices the same;
 * a quantity change of one item mid-period prorates that item only, exactly as previewed; MRR sums the
 * items; the price and product list filters match any item; and every refusal names its parameter.
 */
import { randomUUID } from 'node:crypto';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { eventually } from '../support/eventually';

let api: ApiHarness;
let taxRate: string;
let coupon: string;
let seatsProduct: string;
let supportProduct: string;
let seat: string; // 12.00 a month
let support: string; // 30.00 a month
let supportEur: string;
let supportYearly: string;
let huge: string;
let hugeTwin: string;

const SLOW = { timeoutMs: 90_000, intervalMs: 250 };
const DAY = 86_400_000;

beforeAll(async () => {
  // The machine may be busy with other suites: give workflows time to answer before a 503.
  api = await startApiHarness({ workflowAnswerTimeoutMs: 60_000 });
  taxRate = (await api.call('admin', 'POST', '/v1/tax-rates', { display_name: 'NY sales tax', percentage: '8.875', inclusive: false })).body.id;
  coupon = (await api.call('admin', 'POST', '/v1/coupons', { name: 'Partner 15 %', percent_off: '15', duration: 'forever' })).body.id;
  seatsProduct = (await api.call('admin', 'POST', '/v1/products', { name: 'Seats' })).body.id;
  supportProduct = (await api.call('admin', 'POST', '/v1/products', { name: 'Priority support' })).body.id;
  const price = async (product: string, unit_amount: number, currency = 'usd', interval = 'month') => {
    const res = await api.call('admin', 'POST', '/v1/prices', { product, currency, unit_amount, recurring: { interval } });
    expect(res.status).toBe(200);
    return res.body.id as string;
  };
  seat = await price(seatsProduct, 12_00);
  support = await price(supportProduct, 30_00);
  supportEur = await price(supportProduct, 30_00, 'eur');
  supportYearly = await price(supportProduct, 300_00, 'usd', 'year');
  // Each fits an invoice on its own (even twice), not three times or together.
  huge = await price(supportProduct, 4_000_000_000_000_000);
  hugeTwin = await price(seatsProduct, 4_000_000_000_000_000);
});
afterAll(async () => {
  await api?.close();
});

async function customer(): Promise<string> {
  const res = await api.call('sales', 'POST', '/v1/customers', {
    email: `items-${randomUUID()}@example.com`,
    name: 'Team with add-ons',
    currency: 'usd',
    default_payment_method: 'pm_card_visa',
  });
  expect(res.status).toBe(200);
  return res.body.id;
}

/** A subscription once its workflow has billed and recorded period 0. */
async function subscribe(fields: Record<string, unknown>) {
  const created = await api.call('sales', 'POST', '/v1/subscriptions', fields);
  expect(created.status).toBe(200);
  return eventually(async () => {
    const res = await api.call('operator', 'GET', `/v1/subscriptions/${created.body.id}`);
    expect(res.body.current_period?.index).toBe(0);
    expect(res.body.next_billing_date).not.toBeNull();
    return res.body;
  }, SLOW);
}

/** What a stored invoice and an upcoming one must agree on, apart from the period and the dates. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API JSON
const priced = (i: any) => ({
  subtotal: i.subtotal,
  discount_total: i.discount_total,
  fee_total: i.fee_total,
  tax: i.tax,
  total: i.total,
  discounts: i.discounts,
  tax_amounts: i.tax_amounts,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- API JSON
  lines: i.lines.map((l: any) => ({
    description: l.description,
    price: l.price,
    quantity: l.quantity,
    unit_amount: l.unit_amount,
    amount: l.amount,
    discount_amount: l.discount_amount,
    tax_amount: l.tax_amount,
  })),
});

const secondsAfter = (iso: string, ms: number) => new Date(Math.floor((Date.parse(iso) + ms) / 1000) * 1000).toISOString();

describe('a subscription with seats and a support add-on', () => {
  let cus: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- API JSON
  let subscription: any;

  beforeAll(async () => {
    cus = await customer();
    subscription = await subscribe({
      customer: cus,
      items: [{ price: seat, quantity: 5 }, { price: support }],
      default_tax_rates: [taxRate],
      coupon,
    });
  });

  test('the resource lists the items in order; the top-level price, quantity and unit_amount are the first item’s', () => {
    expect(subscription).toMatchObject({ price: seat, quantity: 5, unit_amount: 12_00, currency: 'usd', recurring: { interval: 'month', interval_count: 1 } });
    expect(subscription.items).toEqual({
      object: 'list',
      data: [
        { id: expect.stringMatching(/^si_[0-9a-f]{32}$/), object: 'subscription_item', price: seat, quantity: 5, unit_amount: 12_00, created_at: subscription.created_at },
        { id: expect.stringMatching(/^si_[0-9a-f]{32}$/), object: 'subscription_item', price: support, quantity: 1, unit_amount: 30_00, created_at: subscription.created_at },
      ],
    });
  });

  test('the period’s invoice has one line per item and exact totals; the upcoming invoice prices the same', async () => {
    const invoices = await api.call('operator', 'GET', `/v1/invoices?subscription=${subscription.id}`);
    expect(invoices.body.data).toHaveLength(1);
    const invoice = (await api.call('operator', 'GET', `/v1/invoices/${invoices.body.data[0].id}`)).body;
    // 60.00 + 30.00; 15 % off is 13.50 (9.00 and 4.50 of the lines); 8.875 % of 76.50 is 6.789375, so 6.79.
    expect(invoice).toMatchObject({ subtotal: 90_00, discount_total: 13_50, fee_total: 0, tax: 6_79, total: 83_29 });
    expect(invoice.lines).toEqual([
      expect.objectContaining({ description: 'Seats', price: seat, quantity: 5, unit_amount: 12_00, amount: 60_00, discount_amount: 9_00 }),
      expect.objectContaining({ description: 'Priority support', price: support, quantity: 1, unit_amount: 30_00, amount: 30_00, discount_amount: 4_50 }),
    ]);
    expect(invoice.lines[0].tax_amount + invoice.lines[1].tax_amount).toBe(6_79);
    expect(invoice.discounts).toEqual([expect.objectContaining({ percent_off: '15', amount: 13_50 })]);
    expect(invoice.tax_amounts).toEqual([expect.objectContaining({ taxable_amount: 76_50, amount: 6_79 })]);
    for (const line of invoice.lines) expect(line.period).toEqual({ start: subscription.current_period.start, end: subscription.current_period.end });

    const upcoming = await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}/upcoming-invoice`);
    expect(upcoming.status).toBe(200);
    expect(upcoming.body.period).toMatchObject({ index: 1, start: subscription.current_period.end });
    expect(priced(upcoming.body)).toEqual(priced(invoice));
  });

  test('MRR sums the items', async () => {
    const res = await api.call('operator', 'GET', `/v1/customers/${cus}`);
    expect(res.body.mrr).toBe(90_00);
  });

  test('the price and product filters match any item, and list each subscription once', async () => {
    const seatsOnly = await subscribe({ customer: cus, price: seat, quantity: 2 });
    expect(seatsOnly.items.data).toEqual([expect.objectContaining({ price: seat, quantity: 2, unit_amount: 12_00 })]);
    const list = async (query: string) => {
      const res = await api.call('operator', 'GET', `/v1/subscriptions?customer=${cus}&${query}`);
      expect(res.status).toBe(200);
      return res.body.data.map((s: { id: string }) => s.id);
    };
    expect(await list(`price=${support}`)).toEqual([subscription.id]);
    expect(await list(`product=${supportProduct}`)).toEqual([subscription.id]);
    expect(await list(`price=${seat}`)).toEqual([seatsOnly.id, subscription.id]);
    expect(await list(`product=${seatsProduct}&limit=1`)).toEqual([seatsOnly.id]);
    // A page's items come with it.
    const page = await api.call('operator', 'GET', `/v1/subscriptions?customer=${cus}`);
    expect(page.body.data.map((s: { items: { data: unknown[] } }) => s.items.data.length)).toEqual([1, 2]);
    // MRR adds every item of every subscription: 90.00 + 2 × 12.00; without the second, 90.00 again.
    expect((await api.call('operator', 'GET', `/v1/customers/${cus}`)).body.mrr).toBe(114_00);
    expect((await api.call('operator', 'POST', `/v1/subscriptions/${seatsOnly.id}/cancel`)).status).toBe(200);
    await eventually(async () => expect((await api.call('operator', 'GET', `/v1/customers/${cus}`)).body.mrr).toBe(90_00), SLOW);
  });

  test('a quantity change of one item mid-period prorates that item only, exactly as previewed', async () => {
    const [seats, addOn] = subscription.items.data;
    const prorationDate = secondsAfter(subscription.current_period.start, 10 * DAY);
    const body = { item: seats.id, quantity: 8, proration_date: prorationDate };

    const preview = await api.call('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan/preview`, body);
    expect(preview.status).toBe(200);
    const periodMs = Date.parse(subscription.current_period.end) - Date.parse(subscription.current_period.start);
    const remainingMs = Date.parse(subscription.current_period.end) - Date.parse(prorationDate);
    const share = (amount: number) => Number((2n * BigInt(amount) * BigInt(remainingMs) + BigInt(periodMs)) / (2n * BigInt(periodMs)));
    // 5 × 12.00 before, 8 × 12.00 after: the support add-on is not in it.
    expect(preview.body).toMatchObject({
      item: seats.id,
      price: seat,
      quantity: 8,
      proration_behavior: 'create_prorations',
      credit: { amount: share(60_00), description: expect.stringMatching(/^Unused time on Seats × 5 after /) },
      charge: { amount: share(96_00), description: expect.stringMatching(/^Remaining time on Seats × 8 after /) },
      net: share(96_00) - share(60_00),
      invoice_now: null,
      next_invoice: { charge: share(96_00), credit: share(60_00) },
    });

    const changed = await api.call('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan`, body);
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      item: seats.id,
      from: { price: seat, quantity: 5, unit_amount: 12_00 },
      to: { price: seat, quantity: 8, unit_amount: 12_00 },
      effective: 'immediately',
      proration_date: prorationDate,
      credit: preview.body.credit.amount,
      charge: preview.body.charge.amount,
      invoice: null,
      status: 'applied',
    });

    const after = await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}`);
    expect(after.body).toMatchObject({ price: seat, quantity: 8, unit_amount: 12_00 });
    expect(after.body.items.data).toEqual([
      expect.objectContaining({ id: seats.id, price: seat, quantity: 8, unit_amount: 12_00 }),
      { ...addOn },
    ]);

    // The next invoice: both items for the period, then the proration charge as a line and its credit after the coupon.
    const upcoming = await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}/upcoming-invoice`);
    expect(upcoming.body.lines).toEqual([
      expect.objectContaining({ price: seat, quantity: 8, amount: 96_00 }),
      expect.objectContaining({ price: support, quantity: 1, amount: 30_00 }),
      expect.objectContaining({ price: null, description: preview.body.charge.description, amount: preview.body.charge.amount }),
    ]);
    expect(upcoming.body.subtotal).toBe(126_00 + preview.body.charge.amount);
    expect(upcoming.body.discounts).toEqual([
      expect.objectContaining({ percent_off: '15' }),
      expect.objectContaining({ description: preview.body.credit.description, amount_off: preview.body.credit.amount }),
    ]);
    expect((await api.call('operator', 'GET', `/v1/customers/${cus}`)).body.mrr).toBe(126_00);
  });

  test('change-plan needs the item when there are several, and refuses a price another item has', async () => {
    const [, addOn] = subscription.items.data;
    for (const path of ['change-plan/preview', 'change-plan']) {
      const url = `/v1/subscriptions/${subscription.id}/${path}`;
      const noItem = await api.call('sales', 'POST', url, { quantity: 2 });
      expect(noItem.status).toBe(400);
      expect(noItem.body.error).toMatchObject({ param: 'item' });
      const unknown = await api.call('sales', 'POST', url, { item: 'si_missing', quantity: 2 });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toMatchObject({ param: 'item', code: 'resource_missing' });
      const taken = await api.call('sales', 'POST', url, { item: addOn.id, price: seat });
      expect(taken.status).toBe(422);
      expect(taken.body.error).toMatchObject({ param: 'price', code: 'price_already_on_subscription' });
      const otherInterval = await api.call('sales', 'POST', url, { item: addOn.id, price: supportYearly });
      expect(otherInterval.status).toBe(422);
      expect(otherInterval.body.error).toMatchObject({ param: 'price', code: 'interval_mismatch' });
    }
    // Another subscription's item is no item of this one.
    const other = await subscribe({ customer: cus, price: support });
    const foreign = await api.call('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan/preview`, { item: other.items.data[0].id, quantity: 2 });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toMatchObject({ param: 'item', code: 'resource_missing' });
    // With one item, item is optional.
    const single = await api.call('sales', 'POST', `/v1/subscriptions/${other.id}/change-plan/preview`, { quantity: 2, at_period_end: true });
    expect(single.status).toBe(200);
    expect(single.body).toMatchObject({ item: other.items.data[0].id, quantity: 2, effective: 'period_end' });
    // Nothing changed on the subscription.
    const unchanged = await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}`);
    expect(unchanged.body.items.data.map((i: { price: string }) => i.price)).toEqual([seat, support]);
  });
});

describe('creating a subscription with bad items never starts one', () => {
  let cus: string;
  beforeAll(async () => {
    cus = await customer();
  });

  test.each([
    ['price and items', () => ({ price: seat, items: [{ price: support }] }), 400, 'items', 'parameter_invalid'],
    ['quantity and items', () => ({ quantity: 2, items: [{ price: support }] }), 400, 'items', 'parameter_invalid'],
    ['neither price nor items', () => ({}), 400, 'items', 'parameter_invalid'],
    ['no items', () => ({ items: [] }), 400, 'items', 'parameter_invalid'],
    ['21 items', () => ({ items: Array.from({ length: 21 }, (_, i) => ({ price: `price_${i}` })) }), 400, 'items', 'parameter_invalid'],
    ['a price twice', () => ({ items: [{ price: seat }, { price: seat, quantity: 2 }] }), 400, 'items[1][price]', 'parameter_invalid'],
    ['an unknown price', () => ({ items: [{ price: seat }, { price: 'price_missing' }] }), 400, 'items[1][price]', 'resource_missing'],
    ['a zero quantity', () => ({ items: [{ price: seat }, { price: support, quantity: 0 }] }), 400, 'items[1][quantity]', 'parameter_invalid'],
    ['another currency', () => ({ items: [{ price: seat }, { price: supportEur }] }), 422, 'items[1][price]', 'currency_mismatch'],
    ['another interval', () => ({ items: [{ price: seat }, { price: supportYearly }] }), 422, 'items[1][price]', 'interval_mismatch'],
    ['an item too large for an invoice', () => ({ items: [{ price: seat }, { price: huge, quantity: 3 }] }), 422, 'items[1][quantity]', 'amount_too_large'],
    ['items too large together', () => ({ items: [{ price: huge, quantity: 2 }, { price: hugeTwin }] }), 422, 'items', 'amount_too_large'],
  ])('%s', async (_name, fields, status, param, code) => {
    const count = async () =>
      (await api.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from subscriptions where customer_id = ?', [cus]))[0]!.n;
    const before = await count();
    const res = await api.call('sales', 'POST', '/v1/subscriptions', { customer: cus, ...fields() });
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code });
    expect(res.body.error.param).toBe(param);
    expect(await count()).toBe(before);
  });
});
