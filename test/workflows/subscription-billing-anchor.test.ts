/**
 * A subscription with a billing anchor after its start, through the API on the time-skipping server
 * (daily prices, so the partial period before the anchor is hours): the upcoming invoice describes each
 * line's own period exactly as the issued invoice does, and one canceled before it starts bills nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Invoice, SubscriptionPendingItem } from '../../db/entities';
import type { subscriptionWorkflow } from '../../workflows/subscription/workflow';
import { subscriptionWorkflowId } from '../../workflows/subscription/contract';
import { startTimeSkippingApi, type TimeSkippingApi } from '../support/time-skipping-api';

let api: TimeSkippingApi;
beforeAll(async () => {
  api = await startTimeSkippingApi('subscription-billing-anchor');
});
afterAll(async () => {
  await api?.close();
});

const HOUR = 3_600_000;
const at = (ms: number) => new Date(ms).toISOString();

interface LineView {
  description: string;
  amount: number;
  period: { start: string; end: string } | null;
}
const linePeriods = (lines: LineView[]) => lines.map((l) => [l.description, l.amount, l.period]);

test('the upcoming invoice gives each line its own period, as the issued invoice does', async () => {
  const price = await api.dailyPrice(24_00);
  const start = Date.parse(await api.startDate());
  const anchor = start + 6 * HOUR;
  const sub = (
    await api.ok('sales', 'POST', '/v1/subscriptions', { customer: await api.customer(), price, start_date: at(start), billing_cycle_anchor: at(anchor) })
  ).id as string;

  const upcoming = await api.ok('sales', 'GET', `/v1/subscriptions/${sub}/upcoming-invoice`);
  const day = { start: at(anchor), end: at(anchor + 24 * HOUR) };
  expect(upcoming.period).toEqual({ index: 0, ...day });
  // The day from the anchor at 24.00, and the 6 hours before it: 24.00 × 6/24 = 6.00.
  expect(upcoming.lines.map((l: LineView) => [l.amount, l.period])).toEqual([
    [24_00, day],
    [6_00, { start: at(start), end: at(anchor) }],
  ]);

  await api.env.sleep(anchor - (await api.env.currentTimeMs()) + HOUR);
  const issued = await api.periodInvoice(sub, 0, 'paid');
  expect(issued.period).toEqual(upcoming.period);
  expect(linePeriods(issued.lines)).toEqual(linePeriods(upcoming.lines));
  await api.ok('operator', 'POST', `/v1/subscriptions/${sub}/cancel`, {});
});

test('canceled before it starts, a subscription with a billing anchor bills nothing, now or later', async () => {
  const price = await api.dailyPrice(24_00);
  const start = Date.parse(await api.startDate()) + 2 * HOUR;
  const anchor = start + 12 * HOUR;
  const created = await api.ok('sales', 'POST', '/v1/subscriptions', {
    customer: await api.customer(),
    price,
    start_date: at(start),
    billing_cycle_anchor: at(anchor),
  });
  const sub = created.id as string;
  expect(created.status).toBe('scheduled');
  // The partial period waits for the first invoice, which will now never come.
  const waiting = await api.orm.em.fork().find(SubscriptionPendingItem, { subscriptionId: sub });
  expect(waiting.map((w) => w.amount)).toEqual([12_00]);

  const canceled = await api.ok('operator', 'POST', `/v1/subscriptions/${sub}/cancel`, {});
  expect(canceled.status).toBe('canceled');
  const handle = api.env.client.workflow.getHandle<typeof subscriptionWorkflow>(subscriptionWorkflowId(sub));
  await handle.result();
  // Past the start and the anchor: still nothing billed (no final invoice for the partial period).
  await api.env.sleep(anchor - (await api.env.currentTimeMs()) + 2 * 24 * HOUR);
  expect(await api.orm.em.fork().find(Invoice, { subscriptionId: sub })).toEqual([]);
  expect((await api.ok('operator', 'GET', `/v1/invoices?subscription=${sub}&limit=100`)).data).toEqual([]);
  expect((await api.ok('operator', 'GET', `/v1/subscriptions/${sub}`)).status).toBe('canceled');

  // `RECORD_HISTORIES=1 npm test` refreshes the fixture that test/replay replays on every run.
  if (process.env.RECORD_HISTORIES === '1') {
    writeFileSync(join(__dirname, '../replay/histories', 'subscription-v5-canceled-before-start.json'), historyToJSON(await handle.fetchHistory()));
  }
});
