/**
 * Plan changes across billing boundaries, through the API on the time-skipping server (daily prices, so
 * a period passes in a skipped day): a downgrade's credit larger than the next invoice is carried to
 * the one after; a change at period end applies before the next period is invoiced.
 * The preview-equals-invoice upgrade and the refusals run on the dev server in
 * test/api/subscription-plan-changes.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { SubscriptionPendingItem } from '../../db/entities';
import { subscriptionWorkflowId } from '../../workflows/subscription/contract';
import { startTimeSkippingApi, type TimeSkippingApi } from '../support/time-skipping-api';

let api: TimeSkippingApi;
beforeAll(async () => {
  api = await startTimeSkippingApi('subscription-plan-changes');
});
afterAll(async () => {
  await api?.close();
});

const HOUR = 3_600_000;

test('a downgrade credit larger than the next invoice is used up over the invoices after it, to the cent', async () => {
  const big = await api.dailyPrice(90_00);
  const product = (await api.ok('admin', 'GET', `/v1/prices/${big}`)).product;
  const small = (await api.ok('admin', 'POST', '/v1/prices', { product, currency: 'usd', unit_amount: 30_00, recurring: { interval: 'day' } })).id;
  const sub = (await api.ok('sales', 'POST', '/v1/subscriptions', { customer: await api.customer(), price: big, start_date: await api.startDate() })).id as string;
  const first = await api.periodInvoice(sub, 0, 'paid');
  expect(first.total).toBe(90_00);
  await api.nextPeriodRecorded(sub, 0);

  // 6 hours into the day: 18/24 of it is left. Credit 90.00 × 3/4 = 67.50; charge 30.00 × 3/4 = 22.50.
  const prorationDate = new Date(Date.parse(first.period.start) + 6 * HOUR).toISOString();
  const change = await api.ok('sales', 'POST', `/v1/subscriptions/${sub}/change-plan`, { price: small, proration_date: prorationDate });
  expect(change).toMatchObject({ status: 'applied', credit: 67_50, charge: 22_50, invoice: null });

  // Period 1: 30.00 + 22.50 = 52.50, all of it taken off by the credit; 15.00 of credit is left.
  await api.env.sleep('1 day');
  const second = await api.periodInvoice(sub, 1, 'paid');
  expect(second).toMatchObject({ subtotal: 52_50, discount_total: 52_50, total: 0, amount_paid: 0 });
  expect(second.lines.map((l: { amount: number }) => l.amount)).toEqual([30_00, 22_50]);
  expect(second.discounts).toEqual([expect.objectContaining({ amount_off: 67_50, amount: 52_50 })]);
  const carried = await api.orm.em.fork().find(SubscriptionPendingItem, { subscriptionId: sub, invoiceId: null });
  expect(carried.map((i) => [i.kind, i.amount, i.sourceId])).toEqual([['credit_carried', 15_00, second.id]]);

  // Period 2: 30.00 − the 15.00 carried = 15.00. Period 3: the full 30.00.
  await api.nextPeriodRecorded(sub, 1);
  await api.env.sleep('1 day');
  const third = await api.periodInvoice(sub, 2, 'paid');
  expect(third).toMatchObject({ subtotal: 30_00, discount_total: 15_00, total: 15_00, amount_paid: 15_00 });
  expect(third.discounts[0].description).toBe(`Credit carried forward from invoice ${second.number}`);
  await api.nextPeriodRecorded(sub, 2);
  await api.env.sleep('1 day');
  expect(await api.periodInvoice(sub, 3, 'paid')).toMatchObject({ total: 30_00, discount_total: 0 });
  await api.ok('operator', 'POST', `/v1/subscriptions/${sub}/cancel`, {});
});

test('a change at period end applies at the boundary, before the next period is invoiced', async () => {
  const price = await api.dailyPrice(10_00);
  const sub = (await api.ok('sales', 'POST', '/v1/subscriptions', { customer: await api.customer(), price, start_date: await api.startDate() })).id as string;
  await api.periodInvoice(sub, 0, 'paid');
  await api.nextPeriodRecorded(sub, 0);

  const change = await api.ok('sales', 'POST', `/v1/subscriptions/${sub}/change-plan`, { quantity: 3, at_period_end: true });
  expect(change.status).toBe('scheduled');
  // The upcoming invoice still shows the current quantity: the change waits for the boundary.
  expect((await api.ok('sales', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`)).total).toBe(10_00);

  await api.env.sleep('1 day');
  const next = await api.periodInvoice(sub, 1, 'paid');
  expect(next.lines).toEqual([expect.objectContaining({ quantity: 3, unit_amount: 10_00, amount: 30_00 })]);
  const [applied] = (await api.ok('operator', 'GET', `/v1/subscriptions/${sub}/plan-changes`)).data;
  expect(applied).toMatchObject({ id: change.id, status: 'applied', from: { quantity: 1 }, to: { quantity: 3 } });
  expect(Date.parse(applied.applied_at)).toBeGreaterThan(0);
  expect((await api.ok('operator', 'GET', `/v1/subscriptions/${sub}`)).quantity).toBe(3);
  await api.ok('operator', 'POST', `/v1/subscriptions/${sub}/cancel`, {});
});

test('on a subscription with several items, a change at period end applies to its item only', async () => {
  const seat = await api.dailyPrice(10_00);
  const addOn = await api.dailyPrice(5_00);
  const product = (await api.ok('admin', 'GET', `/v1/prices/${addOn}`)).product;
  const addOnPlus = (await api.ok('admin', 'POST', '/v1/prices', { product, currency: 'usd', unit_amount: 8_00, recurring: { interval: 'day' } })).id;
  const created = await api.ok('sales', 'POST', '/v1/subscriptions', {
    customer: await api.customer(),
    items: [{ price: seat, quantity: 2 }, { price: addOn }],
    start_date: await api.startDate(),
  });
  const sub = created.id as string;
  const [seatItem, addOnItem] = created.items.data;
  expect((await api.periodInvoice(sub, 0, 'paid')).total).toBe(25_00);
  await api.nextPeriodRecorded(sub, 0);

  const change = await api.ok('sales', 'POST', `/v1/subscriptions/${sub}/change-plan`, { item: addOnItem.id, price: addOnPlus, at_period_end: true });
  expect(change).toMatchObject({ status: 'scheduled', item: addOnItem.id, from: { price: addOn, unit_amount: 5_00 }, to: { price: addOnPlus, quantity: 1, unit_amount: 8_00 } });
  // Until the boundary, the next invoice bills the items as they are.
  expect((await api.ok('sales', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`)).total).toBe(25_00);

  await api.env.sleep('1 day');
  const next = await api.periodInvoice(sub, 1, 'paid');
  expect(next.lines).toEqual([
    expect.objectContaining({ price: seat, quantity: 2, unit_amount: 10_00, amount: 20_00 }),
    expect.objectContaining({ price: addOnPlus, quantity: 1, unit_amount: 8_00, amount: 8_00 }),
  ]);
  expect(next.total).toBe(28_00);
  const [applied] = (await api.ok('operator', 'GET', `/v1/subscriptions/${sub}/plan-changes`)).data;
  expect(applied).toMatchObject({ id: change.id, item: addOnItem.id, status: 'applied' });
  const after = await api.ok('operator', 'GET', `/v1/subscriptions/${sub}`);
  expect(after.items.data).toEqual([seatItem, expect.objectContaining({ id: addOnItem.id, price: addOnPlus, quantity: 1, unit_amount: 8_00 })]);
  await api.ok('operator', 'POST', `/v1/subscriptions/${sub}/cancel`, {});
});

test('two changes in one period, in date order: each credit is what the plan it leaves was charged for that time', async () => {
  const basic = await api.dailyPrice(24_00);
  const product = (await api.ok('admin', 'GET', `/v1/prices/${basic}`)).product;
  const pro = (await api.ok('admin', 'POST', '/v1/prices', { product, currency: 'usd', unit_amount: 48_00, recurring: { interval: 'day' } })).id;
  const sub = (await api.ok('sales', 'POST', '/v1/subscriptions', { customer: await api.customer(), price: basic, start_date: await api.startDate() })).id as string;
  const first = await api.periodInvoice(sub, 0, 'paid');
  await api.nextPeriodRecorded(sub, 0);
  const start = Date.parse(first.period.start);

  // Up to pro 6 hours in (18 left: credit 18.00, charge 36.00), back to basic 12 hours in (12 left).
  const up = await api.ok('sales', 'POST', `/v1/subscriptions/${sub}/change-plan`, { price: pro, proration_date: new Date(start + 6 * HOUR).toISOString() });
  expect(up).toMatchObject({ credit: 18_00, charge: 36_00 });
  const down = await api.ok('sales', 'POST', `/v1/subscriptions/${sub}/change-plan`, { price: basic, proration_date: new Date(start + 12 * HOUR).toISOString() });
  // Pro's last 12 hours, of the 18 it was charged for: 24.00; basic's rest of the day: 12.00.
  expect(down).toMatchObject({ credit: 24_00, charge: 12_00 });
  expect(up.credit + down.credit).toBeLessThanOrEqual(first.total + up.charge);

  // Period 1 bills basic plus the two charges, less the two credits: 24.00 + 48.00 − 42.00.
  await api.env.sleep('1 day');
  const second = await api.periodInvoice(sub, 1, 'paid');
  expect(second).toMatchObject({ subtotal: 72_00, discount_total: 42_00, total: 30_00 });
  await api.ok('operator', 'POST', `/v1/subscriptions/${sub}/cancel`, {});

  // `RECORD_HISTORIES=1 npm test` refreshes the fixture that test/replay replays on every run.
  if (process.env.RECORD_HISTORIES === '1') {
    const handle = api.env.client.workflow.getHandle(subscriptionWorkflowId(sub));
    await handle.result();
    writeFileSync(join(__dirname, '../replay/histories', 'subscription-v5-plan-changes-in-order.json'), historyToJSON(await handle.fetchHistory()));
  }
});
