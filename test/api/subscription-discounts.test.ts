/**
 * Coupons, tax rates and fees on subscriptions, end to end: created through the API, billed by the real
 * subscription workflow and activities on Temporal's time-skipping test server (so days pass in seconds),
 * with PostgreSQL. Each period's invoice has exact totals in cents, and the upcoming invoice the API
 * previews before a billing date is the invoice that billing date then creates.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Coupon, Invoice, Subscription, TaxRate } from '../../db/entities';
import { newId } from '../../db/ids';
import { createActivities } from '../../activities';
import { SandboxGateway } from '../../activities/payments/sandbox-gateway';
import { PostgresSandboxLedger } from '../../activities/payments/sandbox-ledger';
import { OutboxMailer } from '../../activities/email/outbox-mailer';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../support/fixtures';
import { startTimeSkippingApi, type TimeSkippingApi } from '../support/time-skipping-api';

let api: TimeSkippingApi;
beforeAll(async () => {
  api = await startTimeSkippingApi('subscription-discounts');
});
afterAll(async () => {
  await api?.close();
});

const call: TimeSkippingApi['call'] = (...args) => api.call(...args);
const ok: TimeSkippingApi['ok'] = (...args) => api.ok(...args);
const dailyPrice = (unitAmount: number, currency = 'usd') => api.dailyPrice(unitAmount, currency);
const startDate = () => api.startDate();
const customer = () => api.customer();
const periodInvoice = (subscription: string, index: number, status?: string) => api.periodInvoice(subscription, index, status);
const nextPeriodRecorded = (subscription: string, billedIndex: number) => api.nextPeriodRecorded(subscription, billedIndex);

/** What an upcoming invoice and the invoice it becomes must agree on (due dates compared separately). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API JSON
const billed = (i: any) => ({
  currency: i.currency,
  collection_method: i.collection_method,
  payment_terms: i.payment_terms,
  period: i.period,
  subtotal: i.subtotal,
  discount_total: i.discount_total,
  fee_total: i.fee_total,
  tax: i.tax,
  total: i.total,
  discounts: i.discounts,
  fees: i.fees,
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
    period: { start: l.period.start, end: l.period.end },
  })),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API JSON
function expectUpcomingToBeTheInvoice(upcoming: any, invoice: any) {
  expect(billed(invoice)).toEqual(billed(upcoming));
  expect(invoice.amount_due + invoice.amount_paid).toBe(upcoming.amount_due);
  // The workflow issues the invoice when its timer fires at the period start: same instant, give or take
  // the moment the workflow task ran.
  expect(Math.abs(Date.parse(invoice.due_date) - Date.parse(upcoming.due_date))).toBeLessThan(60_000);
}

test('a 20 % coupon for 2 periods, an exclusive 8.875 % tax and a one-off fee: exact invoices, each as previewed', async () => {
  const tax = await ok('admin', 'POST', '/v1/tax-rates', { display_name: 'Sales tax', percentage: '8.875', inclusive: false, jurisdiction: 'NYC' });
  const coupon = await ok('admin', 'POST', '/v1/coupons', { name: 'Launch 20 %', percent_off: '20', duration: 'repeating', duration_in_periods: 2 });
  const price = await dailyPrice(10_000);

  const created = await call('sales', 'POST', '/v1/subscriptions', {
    customer: await customer(),
    price,
    start_date: await startDate(),
    coupon: coupon.id,
    default_tax_rates: [tax.id],
    fees: [
      { description: 'Setup', amount: 2_500 },
      { description: 'Processing', percent: '1.5', taxable: false, recurring: true },
    ],
  });
  expect(created.status).toBe(200);
  expect(created.body).toMatchObject({
    discount: { coupon: coupon.id, start_period: 0 },
    default_tax_rates: [tax.id],
    fees: [
      { description: 'Setup', amount: 2_500, percent: null, taxable: true, recurring: false },
      { description: 'Processing', amount: null, percent: '1.5', taxable: false, recurring: true },
    ],
  });
  const sub = created.body.id as string;
  expect((await ok('admin', 'GET', `/v1/coupons/${coupon.id}`)).times_redeemed).toBe(1);

  // Period 0, billed at once: 10000 − 20 % = 8000; fees 2500 (taxable) + 1.5 % of 8000 = 120 (not taxable);
  // tax 8.875 % of 8000 + 2500 = 931.875 → 932, allocated 711 to the line and 221 to the setup fee.
  const first = await periodInvoice(sub, 0, 'paid');
  expect(first).toMatchObject({ subtotal: 10_000, discount_total: 2_000, fee_total: 2_620, tax: 932, total: 11_552, amount_paid: 11_552, amount_due: 0 });
  expect(first.discounts).toEqual([{ description: 'Launch 20 %', percent_off: '20', amount_off: null, amount: 2_000 }]);
  expect(first.fees).toEqual([
    { description: 'Setup', percentage: null, amount: 2_500, taxable: true },
    { description: 'Processing', percentage: '1.5', amount: 120, taxable: false },
  ]);
  expect(first.tax_amounts).toEqual([{ display_name: 'Sales tax', percentage: '8.875', inclusive: false, taxable_amount: 10_500, amount: 932 }]);
  expect(first.lines).toEqual([expect.objectContaining({ price, quantity: 1, unit_amount: 10_000, amount: 10_000, discount_amount: 2_000, tax_amount: 711 })]);

  // Period 1: still discounted, no setup fee: 8000 + 120 + 710 (8.875 % of 8000) = 8830.
  await nextPeriodRecorded(sub, 0);
  const upcoming1 = await ok('sales', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`);
  expect(upcoming1).toMatchObject({
    object: 'upcoming_invoice',
    subscription: sub,
    coupon: coupon.id,
    period: { index: 1, start: first.period.end },
    date: first.period.end,
    next_payment_attempt: first.period.end,
    subtotal: 10_000,
    discount_total: 2_000,
    fee_total: 120,
    tax: 710,
    total: 8_830,
    amount_due: 8_830,
  });
  await api.env.sleep('1 day');
  const second = await periodInvoice(sub, 1, 'paid');
  expectUpcomingToBeTheInvoice(upcoming1, second);
  expect(second).toMatchObject({ total: 8_830, amount_paid: 8_830 });

  // Period 2: the coupon's two periods are used up: 10000 + 150 + 888 (887.5 rounded half up) = 11038.
  await nextPeriodRecorded(sub, 1);
  const upcoming2 = await ok('sales', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`);
  expect(upcoming2).toMatchObject({ coupon: null, discounts: [], subtotal: 10_000, discount_total: 0, fee_total: 150, tax: 888, total: 11_038 });
  await api.env.sleep('1 day');
  const third = await periodInvoice(sub, 2, 'paid');
  expectUpcomingToBeTheInvoice(upcoming2, third);
  expect(third.lines[0]).toMatchObject({ discount_amount: 0, tax_amount: 888 });

  // Invoices already issued never change.
  expect(billed(await ok('operator', 'GET', `/v1/invoices/${first.id}`))).toEqual(billed(first));
  await ok('operator', 'POST', `/v1/subscriptions/${sub}/cancel`, {});
});

test('a coupon applied later counts from the next period; it can be replaced and removed; a deleted coupon keeps applying', async () => {
  const price = await dailyPrice(10_000);
  const sub = (await ok('sales', 'POST', '/v1/subscriptions', { customer: await customer(), price, collection_method: 'send_invoice', start_date: await startDate() }))
    .id as string;
  const first = await periodInvoice(sub, 0, 'open');
  expect(first).toMatchObject({ total: 10_000, discount_total: 0 });
  await nextPeriodRecorded(sub, 0);

  const fiveOff = await ok('admin', 'POST', '/v1/coupons', { name: '$5 off', amount_off: 500, currency: 'usd', duration: 'once' });
  expect((await call('operator', 'POST', `/v1/subscriptions/${sub}/discount`, { coupon: fiveOff.id })).status).toBe(403);
  const applied = await call('sales', 'POST', `/v1/subscriptions/${sub}/discount`, { coupon: fiveOff.id });
  expect(applied.status).toBe(200);
  expect(applied.body.discount).toMatchObject({ coupon: fiveOff.id, start_period: 1 });
  expect((await ok('admin', 'GET', `/v1/coupons/${fiveOff.id}`)).times_redeemed).toBe(1);
  expect((await ok('operator', 'GET', `/v1/invoices/${first.id}`)).discount_total).toBe(0);

  const upcoming1 = await ok('operator', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`);
  const periodStart = Date.parse(upcoming1.period.start);
  expect(upcoming1).toMatchObject({
    coupon: fiveOff.id,
    collection_method: 'send_invoice',
    payment_terms: 'net_30',
    next_payment_attempt: null,
    due_date: new Date(periodStart + 30 * 86_400_000).toISOString(),
    discounts: [{ description: '$5 off', percent_off: null, amount_off: 500, amount: 500 }],
    total: 9_500,
  });

  // Deleted: nobody can redeem it any more, the subscription that has it keeps it.
  await ok('admin', 'DELETE', `/v1/coupons/${fiveOff.id}`);
  const other = (await ok('sales', 'POST', '/v1/subscriptions', { customer: await customer(), price, collection_method: 'send_invoice', start_date: await startDate() }))
    .id as string;
  const refused = await call('sales', 'POST', `/v1/subscriptions/${other}/discount`, { coupon: fiveOff.id });
  expect(refused).toMatchObject({ status: 400, body: { error: { param: 'coupon', code: 'resource_missing' } } });
  expect((await ok('operator', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`)).total).toBe(9_500);

  await api.env.sleep('1 day');
  const second = await periodInvoice(sub, 1, 'open');
  expectUpcomingToBeTheInvoice(upcoming1, second);
  await nextPeriodRecorded(sub, 1);
  // "once" is used up after the period it discounted.
  expect(await ok('operator', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`)).toMatchObject({ coupon: null, discounts: [], total: 10_000 });

  // Replacing: a forever coupon from the next period on.
  const tenPercent = await ok('admin', 'POST', '/v1/coupons', { name: '10 % forever', percent_off: '10', duration: 'forever' });
  const replaced = await ok('sales', 'POST', `/v1/subscriptions/${sub}/discount`, { coupon: tenPercent.id });
  expect(replaced.discount).toMatchObject({ coupon: tenPercent.id, start_period: 2 });
  expect(await ok('operator', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`)).toMatchObject({ coupon: tenPercent.id, total: 9_000 });

  const removed = await ok('sales', 'DELETE', `/v1/subscriptions/${sub}/discount`);
  expect(removed.discount).toBeNull();
  expect(await ok('operator', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`)).toMatchObject({ coupon: null, total: 10_000 });
  expect((await call('sales', 'DELETE', `/v1/subscriptions/${sub}/discount`)).status).toBe(404);

  const euros = await ok('admin', 'POST', '/v1/coupons', { name: '€5 off', amount_off: 500, currency: 'eur', duration: 'once' });
  expect(await call('sales', 'POST', `/v1/subscriptions/${sub}/discount`, { coupon: euros.id })).toMatchObject({
    status: 400,
    body: { error: { param: 'coupon', code: 'currency_mismatch' } },
  });
  expect((await ok('admin', 'GET', `/v1/coupons/${euros.id}`)).times_redeemed).toBe(0);
  expect(await call('sales', 'POST', `/v1/subscriptions/${sub}/discount`, { coupon: 'co_missing' })).toMatchObject({
    status: 400,
    body: { error: { param: 'coupon', code: 'resource_missing' } },
  });
  expect(await call('sales', 'POST', `/v1/subscriptions/${sub}/discount`, {})).toMatchObject({ status: 400, body: { error: { param: 'coupon' } } });
  expect((await call('sales', 'POST', '/v1/subscriptions/sub_missing/discount', { coupon: tenPercent.id })).status).toBe(404);

  await ok('operator', 'POST', `/v1/subscriptions/${sub}/cancel`, {});
  await ok('operator', 'POST', `/v1/subscriptions/${other}/cancel`, {});
});

test('there is no upcoming invoice while paused, when set to cancel at period end, or once canceled', async () => {
  const tenPercent = await ok('admin', 'POST', '/v1/coupons', { name: '10 %', percent_off: '10', duration: 'forever' });
  const sub = (await ok('sales', 'POST', '/v1/subscriptions', { customer: await customer(), price: await dailyPrice(2_000), start_date: await startDate() }))
    .id as string;
  await periodInvoice(sub, 0, 'paid');
  await nextPeriodRecorded(sub, 0);
  expect((await call('operator', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`)).status).toBe(200);

  const notBilling = async (why: RegExp) => {
    const res = await call('operator', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`);
    expect(res).toMatchObject({ status: 409, body: { error: { type: 'invalid_request_error', code: 'subscription_not_billing' } } });
    expect(res.body.error.message).toMatch(why);
  };
  await ok('operator', 'POST', `/v1/subscriptions/${sub}/pause`);
  await notBilling(/paused/);
  // A discount given while paused starts at the next period billed after the resume.
  expect((await ok('sales', 'POST', `/v1/subscriptions/${sub}/discount`, { coupon: tenPercent.id })).discount.start_period).toBe(1);
  await ok('operator', 'POST', `/v1/subscriptions/${sub}/resume`);
  expect(await ok('operator', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`)).toMatchObject({ coupon: tenPercent.id, total: 1_800 });
  await ok('operator', 'POST', `/v1/subscriptions/${sub}/cancel`, { at_period_end: true });
  await notBilling(/cancels at the end of its current period/);
  await ok('operator', 'POST', `/v1/subscriptions/${sub}/cancel`, {});
  await notBilling(/canceled/);
  expect(await call('sales', 'POST', `/v1/subscriptions/${sub}/discount`, { coupon: tenPercent.id })).toMatchObject({
    status: 409,
    body: { error: { code: 'subscription_canceled' } },
  });
  expect((await call('sales', 'DELETE', `/v1/subscriptions/${sub}/discount`)).status).toBe(409);
  expect((await call('operator', 'GET', '/v1/subscriptions/sub_missing/upcoming-invoice')).status).toBe(404);
});

describe('creating a subscription with a bad coupon, tax rate or fee is a 400 naming the field, and creates nothing', () => {
  const setup = async () => {
    const price = await dailyPrice(10_000);
    const cus = await customer();
    const inactive = await ok('admin', 'POST', '/v1/tax-rates', { display_name: 'Old', percentage: '5', inclusive: false, active: false });
    const active = await ok('admin', 'POST', '/v1/tax-rates', { display_name: 'VAT', percentage: '20', inclusive: true });
    const deleted = await ok('admin', 'POST', '/v1/coupons', { name: 'Gone', percent_off: '5', duration: 'once' });
    await ok('admin', 'DELETE', `/v1/coupons/${deleted.id}`);
    const euros = await ok('admin', 'POST', '/v1/coupons', { name: '€1', amount_off: 100, currency: 'eur', duration: 'once' });
    const used = await ok('admin', 'POST', '/v1/coupons', { name: 'One only', percent_off: '5', duration: 'once', max_redemptions: 1 });
    await ok('sales', 'POST', '/v1/subscriptions', { customer: cus, price, collection_method: 'send_invoice', coupon: used.id, start_date: await startDate() });
    return { price, cus, inactive: inactive.id, active: active.id, deleted: deleted.id, euros: euros.id, used: used.id };
  };
  type Setup = Awaited<ReturnType<typeof setup>>;

  test.each<[string, (s: Setup) => object, number, string, string]>([
    ['unknown coupon', () => ({ coupon: 'co_missing' }), 400, 'coupon', 'resource_missing'],
    ['deleted coupon', (s) => ({ coupon: s.deleted }), 400, 'coupon', 'resource_missing'],
    ['coupon in another currency', (s) => ({ coupon: s.euros }), 400, 'coupon', 'currency_mismatch'],
    ['fully redeemed coupon', (s) => ({ coupon: s.used }), 400, 'coupon', 'coupon_not_redeemable'],
    ['unknown tax rate', (s) => ({ default_tax_rates: [s.active, 'txr_missing'] }), 400, 'default_tax_rates[1]', 'resource_missing'],
    ['inactive tax rate', (s) => ({ default_tax_rates: [s.inactive] }), 400, 'default_tax_rates[0]', 'tax_rate_inactive'],
    ['tax rate twice', (s) => ({ default_tax_rates: [s.active, s.active] }), 400, 'default_tax_rates[1]', 'parameter_invalid'],
    ['fee with amount and percent', () => ({ fees: [{ description: 'x', amount: 1, percent: '1' }] }), 400, 'fees[0]', 'parameter_invalid'],
    ['fee with neither', () => ({ fees: [{ description: 'x' }] }), 400, 'fees[0]', 'parameter_invalid'],
    ['fee over 100 percent', () => ({ fees: [{ description: 'x', percent: '150' }] }), 400, 'fees[0][percent]', 'parameter_invalid'],
    ['fee as a float', () => ({ fees: [{ description: 'x', amount: 1.5 }] }), 400, 'fees[0][amount]', 'parameter_invalid'],
    ['fee without description', () => ({ fees: [{ amount: 100 }] }), 400, 'fees[0][description]', 'parameter_missing'],
    ['fees too large for an invoice', () => ({ fees: [{ description: 'x', amount: Number.MAX_SAFE_INTEGER }] }), 422, 'fees', 'amount_too_large'],
  ])('%s', async (_name, extra, status, param, code) => {
    const s = await setup();
    const before = await api.orm.em.fork().count(Subscription, { customerId: s.cus });
    const res = await call('sales', 'POST', '/v1/subscriptions', { customer: s.cus, price: s.price, collection_method: 'send_invoice', ...extra(s) });
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ param, code });
    expect(await api.orm.em.fork().count(Subscription, { customerId: s.cus })).toBe(before);
    expect((await api.orm.em.fork().findOneOrFail(Coupon, { id: s.used })).timesRedeemed).toBe(1);
  });
});

describe('the invoicing activity', () => {
  const activities = () =>
    createActivities({
      orm: api.orm,
      gateway: new SandboxGateway(new PostgresSandboxLedger(api.orm)),
      mailer: new OutboxMailer(),
      log: pino({ level: 'silent' }),
      emailFrom: 'billing@example.com',
      publicUrl: 'http://localhost',
      invoiceNumberPrefix: `SD${randomUUID().slice(0, 6)}-`,
    });
  const period = (index: number) => ({ index, start: `2027-0${index + 1}-01T00:00:00.000Z`, end: `2027-0${index + 2}-01T00:00:00.000Z` });

  test('a one-off fee and a "once" coupon land on the first invoice billed, even when periods before it were skipped', async () => {
    const now = new Date();
    const em = api.orm.em.fork();
    const coupon = em.create(Coupon, {
      id: newId('coupon'),
      name: 'Welcome',
      percentOffPpm: 500_000,
      amountOff: null,
      currency: null,
      duration: 'once',
      durationInPeriods: null,
      maxRedemptions: null,
      timesRedeemed: 1,
      redeemBy: null,
      metadata: {},
      deletedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    const rate = em.create(TaxRate, {
      id: newId('taxRate'),
      displayName: 'VAT',
      description: null,
      percentagePpm: 200_000,
      inclusive: true,
      active: false, // inactive since: it still applies where it already is
      jurisdiction: null,
      country: null,
      metadata: {},
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    const sub = await createSubscriptionRecord(api.orm, await createCustomer(api.orm), await createRecurringPrice(api.orm, { unitAmount: 12_000 }), {
      anchor: new Date('2027-01-01T00:00:00Z'),
    });
    await api.orm.em.fork().nativeUpdate(
      Subscription,
      { id: sub.id },
      {
        couponId: coupon.id,
        discountStartPeriod: 0,
        discountAppliedAt: now,
        defaultTaxRateIds: [rate.id],
        fees: [{ description: 'Setup', type: 'fixed_amount', amount: 2_400, ratePpm: null, taxable: true, recurring: false }],
      },
    );
    const acts = activities();

    // Periods 0 and 1 were skipped (paused before the first billing): period 2 is the first invoice.
    const firstBilled = await acts.createSubscriptionInvoice({ subscriptionId: sub.id, period: period(2), issuedAt: period(2).start });
    // 12000 − 50 % = 6000, + 2400 setup = 8400 gross, of which 20 % VAT inclusive: 8400 × 20/120 = 1400, on a net 7000.
    expect(firstBilled).toMatchObject({ total: 8_400 });
    const stored = await api.orm.em.fork().findOneOrFail(Invoice, { id: firstBilled.invoiceId });
    expect(stored).toMatchObject({ subtotal: 12_000, discountTotal: 6_000, feeTotal: 2_400, tax: 1_400, total: 8_400, amountDue: 8_400 });
    expect(stored.taxAmounts).toEqual([{ displayName: 'VAT', ratePpm: 200_000, inclusive: true, taxableAmount: 7_000, amount: 1_400 }]);

    // Retried: the same invoice, not a second one.
    expect((await acts.createSubscriptionInvoice({ subscriptionId: sub.id, period: period(2), issuedAt: period(2).start })).invoiceId).toBe(firstBilled.invoiceId);

    const next = await acts.createSubscriptionInvoice({ subscriptionId: sub.id, period: period(3), issuedAt: period(3).start });
    expect(next).toMatchObject({ total: 12_000 });
    expect(await api.orm.em.fork().findOneOrFail(Invoice, { id: next.invoiceId })).toMatchObject({ discountTotal: 0, feeTotal: 0, tax: 2_000, discounts: [], fees: [] });
  });
});
