/**
 * Plan changes through the real API, worker, Temporal dev server and PostgreSQL: a preview, then the
 * upgrade made with the preview's proration date bills exactly the previewed amounts (tax included);
 * a quantity change queued for the next invoice; a change at period end; every refusal.
 * What happens at later boundaries (the change at period end applied, a credit carried forward) plays
 * out on the time-skipping server in test/workflows/subscription-plan-changes.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { eventually } from '../support/eventually';

let api: ApiHarness;
let taxRate: string;
let product: string;
let basic: string; // 30.00 a month
let pro: string; // 90.00 a month
let yearly: string;

beforeAll(async () => {
  api = await startApiHarness({ workflowAnswerTimeoutMs: 30_000 });
  taxRate = (await api.call('admin', 'POST', '/v1/tax-rates', { display_name: 'NY sales tax', percentage: '8.875', inclusive: false })).body.id;
  product = (await api.call('admin', 'POST', '/v1/products', { name: 'Team plan' })).body.id;
  const price = async (unit_amount: number, interval: string, nickname: string) =>
    (await api.call('admin', 'POST', '/v1/prices', { product, currency: 'usd', unit_amount, nickname, recurring: { interval } })).body.id as string;
  basic = await price(30_00, 'month', 'basic');
  pro = await price(90_00, 'month', 'pro');
  yearly = await price(300_00, 'year', 'yearly');
});
afterAll(async () => {
  await api?.close();
});

const DAY = 86_400_000;

/** A monthly subscription whose first period is billed and recorded. */
async function subscribe(fields: Record<string, unknown> = {}) {
  const customer = await api.call('sales', 'POST', '/v1/customers', {
    email: `team-${randomUUID()}@example.com`,
    name: 'Team',
    currency: 'usd',
    default_payment_method: 'pm_card_visa',
  });
  const created = await api.call('sales', 'POST', '/v1/subscriptions', { customer: customer.body.id, price: basic, default_tax_rates: [taxRate], ...fields });
  expect(created.status).toBe(200);
  return eventually(async () => {
    const s = await api.call('operator', 'GET', `/v1/subscriptions/${created.body.id}`);
    expect(s.body.current_period?.index).toBe(0);
    return s.body;
  });
}

const secondsAfter = (iso: string, ms: number) => new Date(Math.floor((Date.parse(iso) + ms) / 1000) * 1000).toISOString();

test('an upgrade invoiced now bills exactly what its preview showed, tax included', async () => {
  const subscription = await subscribe();
  const prorationDate = secondsAfter(subscription.current_period.start, 10 * DAY);
  const body = { price: pro, proration_behavior: 'always_invoice', proration_date: prorationDate };

  const preview = await api.call('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan/preview`, body);
  expect(preview.status).toBe(200);
  const { credit, charge, net, invoice_now: invoiceNow } = preview.body;
  // The remaining share of the period, as an exact fraction of each price.
  const periodMs = Date.parse(subscription.current_period.end) - Date.parse(subscription.current_period.start);
  const remainingMs = Date.parse(subscription.current_period.end) - Date.parse(prorationDate);
  const share = (amount: number) => Number((2n * BigInt(amount) * BigInt(remainingMs) + BigInt(periodMs)) / (2n * BigInt(periodMs)));
  expect(credit.amount).toBe(share(30_00));
  expect(charge.amount).toBe(share(90_00));
  expect(net).toBe(charge.amount - credit.amount);
  expect(credit.description).toMatch(/^Unused time on Team plan \(basic\) after /);
  expect(charge.description).toMatch(/^Remaining time on Team plan \(pro\) after /);
  // 8.875 % on the net, rounded half-up once.
  const tax = Number((2n * BigInt(net) * 88_750n + 1_000_000n) / 2_000_000n);
  expect(invoiceNow).toMatchObject({ subtotal: charge.amount, discount_total: credit.amount, tax, total: net + tax });
  expect(preview.body.next_invoice).toBeNull();

  const changed = await api.call('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan`, body);
  expect(changed.status).toBe(200);
  expect(changed.body).toMatchObject({
    object: 'subscription_plan_change',
    from: { price: basic, quantity: 1, unit_amount: 30_00 },
    to: { price: pro, quantity: 1, unit_amount: 90_00 },
    effective: 'immediately',
    proration_date: prorationDate,
    credit: credit.amount,
    charge: charge.amount,
    status: 'applied',
  });
  const invoice = await api.call('operator', 'GET', `/v1/invoices/${changed.body.invoice}`);
  expect(invoice.body).toMatchObject({
    subscription: subscription.id,
    subtotal: invoiceNow.subtotal,
    discount_total: invoiceNow.discount_total,
    tax: invoiceNow.tax,
    total: invoiceNow.total,
    tax_amounts: invoiceNow.tax_amounts,
  });
  expect(invoice.body.lines).toEqual([expect.objectContaining({ description: charge.description, amount: charge.amount })]);
  expect(invoice.body.discounts).toEqual([expect.objectContaining({ description: credit.description, amount_off: credit.amount })]);
  // Collected like any invoice: the saved card pays it.
  await eventually(async () => expect((await api.call('operator', 'GET', `/v1/invoices/${invoice.body.id}`)).body.status).toBe('paid'));

  const after = await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}`);
  expect(after.body).toMatchObject({ price: pro, unit_amount: 90_00, quantity: 1 });
  const upcoming = await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}/upcoming-invoice`);
  expect(upcoming.body.lines).toEqual([expect.objectContaining({ price: pro, amount: 90_00 })]); // nothing left pending
});

test('a quantity change with create_prorations puts its charge and credit on the next invoice', async () => {
  const subscription = await subscribe();
  const prorationDate = secondsAfter(subscription.current_period.start, 15 * DAY);
  const body = { quantity: 3, proration_date: prorationDate };
  const preview = await api.call('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan/preview`, body);
  expect(preview.body).toMatchObject({ proration_behavior: 'create_prorations', invoice_now: null });
  const { credit, charge } = preview.body;
  expect(preview.body.next_invoice).toEqual({ charge: charge.amount, credit: credit.amount });

  const changed = await api.call('operator', 'POST', `/v1/subscriptions/${subscription.id}/change-plan`, body);
  expect(changed.body).toMatchObject({ status: 'applied', invoice: null, credit: credit.amount, charge: charge.amount, to: { quantity: 3, unit_amount: 30_00 } });

  const upcoming = await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}/upcoming-invoice`);
  expect(upcoming.body.lines.map((l: { description: string; amount: number }) => l.amount)).toEqual([90_00, charge.amount]);
  expect(upcoming.body.discounts).toEqual([expect.objectContaining({ description: credit.description, amount_off: credit.amount, amount: credit.amount })]);
  expect(upcoming.body.subtotal - upcoming.body.discount_total).toBe(90_00 + charge.amount - credit.amount);
});

test('a change at period end waits as scheduled; a later one replaces it', async () => {
  const subscription = await subscribe();
  const first = await api.call('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan`, { price: pro, at_period_end: true });
  expect(first.body).toMatchObject({ effective: 'period_end', status: 'scheduled', proration_date: null, credit: 0, charge: 0 });
  expect((await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}`)).body).toMatchObject({ price: basic, unit_amount: 30_00 });

  const second = await api.call('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan`, { quantity: 2, at_period_end: true });
  expect(second.body.status).toBe('scheduled');
  const list = await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}/plan-changes`);
  expect(list.body.data.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([
    [second.body.id, 'scheduled'],
    [first.body.id, 'superseded'],
  ]);
});

test('refusals name the field or the rule, and change nothing', async () => {
  const subscription = await subscribe();
  const url = `/v1/subscriptions/${subscription.id}/change-plan`;
  const expectError = (res: { status: number; body: { error: { code: string; param?: string } } }, status: number, code: string, param?: string) =>
    expect({ status: res.status, code: res.body.error.code, ...(param ? { param: res.body.error.param } : {}) }).toEqual({ status, code, ...(param ? { param } : {}) });

  expectError(await api.call('sales', 'POST', url, { price: yearly }), 422, 'interval_mismatch', 'price');
  expectError(await api.call('sales', 'POST', url, { price: basic }), 400, 'parameter_invalid', 'price');
  expectError(await api.call('sales', 'POST', url, { price: 'price_missing' }), 400, 'resource_missing', 'price');
  expectError(await api.call('sales', 'POST', url, { price: pro, at_period_end: true, proration_behavior: 'always_invoice' }), 400, 'parameter_invalid', 'proration_behavior');
  // The workflow's own rules: the proration date must fall in the billed period (named, as the preview names it).
  expectError(await api.call('sales', 'POST', url, { price: pro, proration_date: '2020-01-01T00:00:00Z' }), 400, 'parameter_invalid', 'proration_date');
  expectError(await api.call('sales', 'POST', `${url}/preview`, { price: pro, proration_date: '2020-01-01T00:00:00Z' }), 400, 'parameter_invalid', 'proration_date');

  await api.call('operator', 'POST', `/v1/subscriptions/${subscription.id}/pause`);
  expectError(await api.call('sales', 'POST', url, { price: pro }), 409, 'invalid_state_transition');
  await api.call('operator', 'POST', `/v1/subscriptions/${subscription.id}/cancel`, {});
  expectError(await api.call('sales', 'POST', url, { price: pro }), 409, 'invalid_state_transition');

  const list = await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}/plan-changes`);
  expect(list.body.data).toEqual([]);
  expect((await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}`)).body).toMatchObject({ price: basic, quantity: 1 });
});

test('a second change in the period may not be dated before the first: its credit would exceed what was billed', async () => {
  const subscription = await subscribe();
  const url = `/v1/subscriptions/${subscription.id}/change-plan`;
  const period = subscription.current_period;
  const later = secondsAfter(period.start, 20 * DAY);
  const earlier = secondsAfter(period.start, 10 * DAY);
  const first = await api.call('sales', 'POST', url, { price: pro, proration_date: later });
  expect(first.body).toMatchObject({ status: 'applied', proration_date: later });

  // Back to basic dated before the upgrade: it would credit pro for 10 days pro was never billed for.
  const expectRefused = (res: { status: number; body: { error: { code: string; param?: string; message: string } } }) => {
    expect({ status: res.status, code: res.body.error.code, param: res.body.error.param }).toEqual({ status: 400, code: 'parameter_invalid', param: 'proration_date' });
    expect(res.body.error.message).toContain('before the last plan change');
  };
  expectRefused(await api.call('sales', 'POST', `${url}/preview`, { price: basic, proration_date: earlier }));
  expectRefused(await api.call('sales', 'POST', url, { price: basic, proration_date: earlier }));
  // Without a proration_date the change is dated now, which is before the upgrade too.
  expectRefused(await api.call('sales', 'POST', url, { price: basic }));
  expect((await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}/plan-changes`)).body.data).toHaveLength(1);

  // Dated at or after the upgrade it goes through, and every credit is covered by what was billed.
  const preview = await api.call('sales', 'POST', `${url}/preview`, { price: basic, proration_date: later });
  expect(preview.status).toBe(200);
  const second = await api.call('sales', 'POST', url, { price: basic, proration_date: later });
  expect(second.body).toMatchObject({ status: 'applied', credit: first.body.charge, charge: first.body.credit });
  expect(second.body.credit).toBe(preview.body.credit.amount);
  const changes = (await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}/plan-changes`)).body.data as { credit: number; charge: number }[];
  const credited = changes.reduce((sum, c) => sum + c.credit, 0);
  const billed = 30_00 + first.body.charge;
  expect(credited).toBeLessThanOrEqual(billed);
});
