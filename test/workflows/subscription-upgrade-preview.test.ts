/**
 * An upgrade in the middle of a period, on the time-skipping server through the real API: what the
 * preview says is what gets billed, to the cent — invoiced at once (always_invoice) or on the next
 * period's invoice (create_prorations), tax included.
 */
import { startTimeSkippingApi, type TimeSkippingApi } from '../support/time-skipping-api';
import { eventually } from '../support/eventually';

let api: TimeSkippingApi;
let taxRate: string;
let basic: string; // 30.00 a month
let pro: string; // 90.00 a month

beforeAll(async () => {
  api = await startTimeSkippingApi('subscription-upgrade-preview');
  taxRate = (await api.ok('admin', 'POST', '/v1/tax-rates', { display_name: 'NY sales tax', percentage: '8.875', inclusive: false })).id;
  const product = (await api.ok('admin', 'POST', '/v1/products', { name: 'Team plan' })).id;
  basic = (await api.ok('admin', 'POST', '/v1/prices', { product, currency: 'usd', unit_amount: 30_00, nickname: 'basic', recurring: { interval: 'month' } })).id;
  pro = (await api.ok('admin', 'POST', '/v1/prices', { product, currency: 'usd', unit_amount: 90_00, nickname: 'pro', recurring: { interval: 'month' } })).id;
});
afterAll(async () => {
  await api?.close();
});

const HOUR = 3_600_000;

/** A monthly basic subscription with the tax rate, 10 days and 7 hours into its first period. */
async function midPeriod() {
  const created = await api.ok('sales', 'POST', '/v1/subscriptions', {
    customer: await api.customer(),
    price: basic,
    default_tax_rates: [taxRate],
    start_date: await api.startDate(),
  });
  const subscription = await api.nextPeriodRecorded(created.id, 0);
  await api.periodInvoice(created.id, 0, 'paid');
  await api.env.sleep(10 * 24 * HOUR + 7 * HOUR);
  // Workflow time is now here; the change is made (and previewed) as of this instant.
  const prorationDate = new Date(Date.parse(subscription.current_period.start) + 10 * 24 * HOUR + 7 * HOUR).toISOString();
  return { subscription, prorationDate };
}

/** The exact remaining share of `amount`, rounded half-up once: an oracle independent of domain/proration.ts. */
function share(amount: number, period: { start: string; end: string }, at: string): number {
  const periodMs = BigInt(Date.parse(period.end) - Date.parse(period.start));
  const remainingMs = BigInt(Date.parse(period.end) - Date.parse(at));
  return Number((2n * BigInt(amount) * remainingMs + periodMs) / (2n * periodMs));
}
const taxOn = (amount: number) => Number((2n * BigInt(amount) * 88_750n + 1_000_000n) / 2_000_000n);

test('invoiced now: the proration invoice equals the preview to the cent', async () => {
  const { subscription, prorationDate } = await midPeriod();
  const body = { price: pro, proration_behavior: 'always_invoice', proration_date: prorationDate };
  const preview = await api.ok('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan/preview`, body);
  expect(preview.credit.amount).toBe(share(30_00, subscription.current_period, prorationDate));
  expect(preview.charge.amount).toBe(share(90_00, subscription.current_period, prorationDate));

  const change = await api.ok('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan`, body);
  expect(change.invoice).not.toBeNull();
  const invoice = await eventually(async () => {
    const i = await api.ok('operator', 'GET', `/v1/invoices/${change.invoice}`);
    expect(i.status).toBe('paid');
    return i;
  }, { timeoutMs: 30_000 });
  expect({ subtotal: invoice.subtotal, discount_total: invoice.discount_total, tax: invoice.tax, total: invoice.total }).toEqual({
    subtotal: preview.invoice_now.subtotal,
    discount_total: preview.invoice_now.discount_total,
    tax: preview.invoice_now.tax,
    total: preview.invoice_now.total,
  });
  expect(invoice.tax).toBe(taxOn(preview.net));
  expect(invoice.lines.map((l: { amount: number }) => l.amount)).toEqual([preview.charge.amount]);
  expect(invoice.discounts.map((d: { amount: number }) => d.amount)).toEqual([preview.credit.amount]);
});

test('on the next invoice: period 1 bills the new price plus exactly the previewed charge, less the previewed credit', async () => {
  const { subscription, prorationDate } = await midPeriod();
  const body = { price: pro, proration_behavior: 'create_prorations', proration_date: prorationDate };
  const preview = await api.ok('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan/preview`, body);
  expect(preview.next_invoice).toEqual({ charge: preview.charge.amount, credit: preview.credit.amount });

  await api.ok('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan`, body);
  await api.env.sleep(Date.parse(subscription.current_period.end) - (await api.env.currentTimeMs()) + HOUR);
  const next = await api.periodInvoice(subscription.id, 1, 'paid');
  expect(next.lines.map((l: { amount: number; price: string | null }) => [l.price, l.amount])).toEqual([
    [pro, 90_00],
    [null, preview.charge.amount],
  ]);
  expect(next.discounts.map((d: { amount: number }) => d.amount)).toEqual([preview.credit.amount]);
  const net = 90_00 + preview.charge.amount - preview.credit.amount;
  expect(next.subtotal).toBe(90_00 + preview.charge.amount);
  expect(next.tax).toBe(taxOn(net));
  expect(next.total).toBe(net + taxOn(net));
});

test('a change at period end is the pending_update until the boundary, where it applies and clears', async () => {
  const { subscription } = await midPeriod();
  const change = await api.ok('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan`, { price: pro, quantity: 2, at_period_end: true });
  expect((await api.ok('operator', 'GET', `/v1/subscriptions/${subscription.id}`)).pending_update).toMatchObject({
    plan_change: change.id,
    price: pro,
    quantity: 2,
    effective_at: subscription.current_period.end,
  });

  await api.env.sleep(Date.parse(subscription.current_period.end) - (await api.env.currentTimeMs()) + HOUR);
  const next = await api.periodInvoice(subscription.id, 1, 'paid');
  expect(next.lines.map((l: { price: string; quantity: number }) => [l.price, l.quantity])).toEqual([[pro, 2]]);
  const after = await api.nextPeriodRecorded(subscription.id, 1);
  expect(after.pending_update).toBeNull();
  expect(after.items.data.map((i: { price: string; quantity: number }) => [i.price, i.quantity])).toEqual([[pro, 2]]);
});

test('prorations queued for the next invoice are billed on a final invoice when the subscription ends instead', async () => {
  const { subscription, prorationDate } = await midPeriod();
  const body = { price: pro, proration_behavior: 'create_prorations', proration_date: prorationDate };
  const preview = await api.ok('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan/preview`, body);
  await api.ok('sales', 'POST', `/v1/subscriptions/${subscription.id}/change-plan`, body);
  await api.ok('operator', 'POST', `/v1/subscriptions/${subscription.id}/cancel`, { at_period_end: true });

  await api.env.sleep(Date.parse(subscription.current_period.end) - (await api.env.currentTimeMs()) + HOUR);
  const final = await eventually(
    async () => {
      const list = await api.ok('operator', 'GET', `/v1/invoices?subscription=${subscription.id}&limit=100`);
      const found = list.data.find((i: { period: unknown; id: string }) => i.period === null);
      expect(found).toBeDefined();
      const invoice = await api.ok('operator', 'GET', `/v1/invoices/${found.id}`);
      expect(invoice.status).toBe('paid');
      return invoice;
    },
    { timeoutMs: 30_000 },
  );
  expect((await api.ok('operator', 'GET', `/v1/subscriptions/${subscription.id}`)).status).toBe('canceled');
  expect(final.lines.map((l: { amount: number }) => l.amount)).toEqual([preview.charge.amount]);
  expect(final.discounts.map((d: { amount: number }) => d.amount)).toEqual([preview.credit.amount]);
  expect(final.total).toBe(preview.net + taxOn(preview.net));
  // Period 0 and the final invoice: nothing was billed for a period after the end.
  const all = await api.ok('operator', 'GET', `/v1/invoices?subscription=${subscription.id}&limit=100`);
  expect(all.data.map((i: { period: { index: number } | null }) => i.period?.index ?? null).sort()).toEqual([0, null]);
});
