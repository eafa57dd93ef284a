/**
 * A subscription's lifecycle through the real API, worker, Temporal dev server and PostgreSQL:
 * create → pause → resume → change plan → cancel with the invoices each step leaves; trials and
 * commitments at creation; pauses with dates; undoing a scheduled cancel; switching to autopay; and
 * customers' cancellation requests (approval queue and immediate mode). What happens at later dates
 * plays out on the time-skipping server in test/workflows/subscription-terms.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { eventually } from '../support/eventually';
import { plusCalendar } from '../support/calendar';

let api: ApiHarness;
let basic: string; // 30.00 a month
let pro: string; // 90.00 a month
let quarterly: string; // 80.00 a quarter

beforeAll(async () => {
  api = await startApiHarness({ workflowAnswerTimeoutMs: 30_000 });
  const product = (await api.call('admin', 'POST', '/v1/products', { name: 'Studio' })).body.id;
  const price = async (unit_amount: number, recurring: Record<string, unknown>, nickname: string) =>
    (await api.call('admin', 'POST', '/v1/prices', { product, currency: 'usd', unit_amount, nickname, recurring })).body.id as string;
  basic = await price(30_00, { interval: 'month' }, 'basic');
  pro = await price(90_00, { interval: 'month' }, 'pro');
  quarterly = await price(80_00, { interval: 'month', interval_count: 3 }, 'quarterly');
});
afterAll(async () => {
  await api?.close();
});

const DAY = 86_400_000;

async function newCustomer(fields: Record<string, unknown> = {}): Promise<string> {
  const customer = await api.call('sales', 'POST', '/v1/customers', {
    email: `studio-${randomUUID()}@example.com`,
    name: 'Studio',
    currency: 'usd',
    default_payment_method: 'pm_card_visa',
    ...fields,
  });
  expect(customer.status).toBe(200);
  return customer.body.id;
}

async function create(fields: Record<string, unknown>) {
  const created = await api.call('sales', 'POST', '/v1/subscriptions', { customer: await newCustomer(), price: basic, ...fields });
  expect(created.status).toBe(200);
  return created.body;
}

/** A monthly subscription whose first period is billed and recorded. */
async function billed(fields: Record<string, unknown> = {}) {
  const created = await create(fields);
  return eventually(async () => {
    const s = await api.call('operator', 'GET', `/v1/subscriptions/${created.id}`);
    expect(s.body.current_period?.index).toBe(0);
    return s.body;
  });
}

const invoicesOf = async (subscription: string) =>
  ((await api.call('operator', 'GET', `/v1/invoices?subscription=${subscription}&limit=100`)).body.data as { id: string; status: string; total: number; period_index?: number }[]).reverse();

function expectError(response: { status: number; body: { error?: { code?: string; param?: string } } }, status: number, code?: string, param?: string) {
  expect(response.status).toBe(status);
  if (code) expect(response.body.error?.code).toBe(code);
  if (param) expect(response.body.error?.param).toBe(param);
}

test('create → pause → resume → change plan → cancel, with the invoices each step leaves', async () => {
  const subscription = await billed();
  const id = subscription.id;
  const [first] = await eventually(async () => {
    const invoices = await invoicesOf(id);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]!.status).toBe('paid');
    return invoices;
  });
  expect(first!.total).toBe(30_00);

  const paused = await api.call('operator', 'POST', `/v1/subscriptions/${id}/pause`);
  expect(paused.status).toBe(200);
  expect(paused.body).toMatchObject({ status: 'paused', next_billing_date: null, resume_at: null });
  expect(paused.body.paused_at).not.toBeNull();
  expectError(await api.call('operator', 'POST', `/v1/subscriptions/${id}/pause`), 409, 'invalid_state_transition');

  const resumed = await api.call('operator', 'POST', `/v1/subscriptions/${id}/resume`);
  expect(resumed.body).toMatchObject({ status: 'active', paused_at: null, next_billing_date: subscription.current_period.end });

  // An upgrade ten days into the period, invoiced now: the invoice is what the preview showed.
  const prorationDate = new Date(Math.floor((Date.parse(subscription.current_period.start) + 10 * DAY) / 1000) * 1000).toISOString();
  const body = { price: pro, proration_behavior: 'always_invoice', proration_date: prorationDate };
  const preview = await api.call('sales', 'POST', `/v1/subscriptions/${id}/change-plan/preview`, body);
  expect(preview.status).toBe(200);
  const changed = await api.call('sales', 'POST', `/v1/subscriptions/${id}/change-plan`, body);
  expect(changed.status).toBe(200);
  expect((await api.call('operator', 'GET', `/v1/subscriptions/${id}`)).body.price).toBe(pro);
  const afterChange = await eventually(async () => {
    const invoices = await invoicesOf(id);
    expect(invoices).toHaveLength(2);
    expect(invoices[1]!.status).toBe('paid');
    return invoices;
  });
  expect(afterChange[1]!.total).toBe(preview.body.invoice_now.total);
  expect(preview.body.invoice_now.total).toBe(preview.body.net);
  expect(preview.body.net).toBeGreaterThan(0);

  const canceled = await api.call('operator', 'POST', `/v1/subscriptions/${id}/cancel`, {});
  expect(canceled.body).toMatchObject({ status: 'canceled', next_billing_date: null, cancellation_reason: 'cancellation_requested' });
  expectError(await api.call('operator', 'POST', `/v1/subscriptions/${id}/resume`), 409, 'invalid_state_transition');
  // Canceling bills nothing more: the paid period and the paid upgrade are all there is.
  expect((await invoicesOf(id)).map((i) => [i.status, i.total])).toEqual([
    ['paid', 30_00],
    ['paid', preview.body.invoice_now.total],
  ]);
});

test('a trial starts the subscription trialing with nothing billed; its end is the billing anchor', async () => {
  const subscription = await create({ trial_period_days: 14 });
  const s = await eventually(async () => {
    const r = await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}`);
    expect(r.body.status).toBe('trialing');
    return r.body;
  });
  expect(Date.parse(s.trial_end) - Date.parse(s.trial_start)).toBe(14 * DAY); // the customer is in UTC
  expect(s.billing_cycle_anchor).toBe(s.trial_end);
  expect(s.next_billing_date).toBe(s.trial_end);
  expect(s.current_period).toBeNull();
  expect(await invoicesOf(subscription.id)).toHaveLength(0);
  // A trial can end at its end without a bill; pausing it is refused.
  expectError(await api.call('operator', 'POST', `/v1/subscriptions/${subscription.id}/pause`), 409, 'invalid_state_transition');
  const canceling = await api.call('operator', 'POST', `/v1/subscriptions/${subscription.id}/cancel`, { at_period_end: true });
  expect(canceling.body).toMatchObject({ status: 'trialing', cancel_at_period_end: true, next_billing_date: null });

  const trialEnd = new Date(Date.now() + 30 * DAY).toISOString();
  const byDate = await create({ trial_end: trialEnd });
  expect(byDate.trial_end).toBe(new Date(trialEnd).toISOString());
});

test('a commitment is recorded with its current term; terms must be whole billing periods', async () => {
  const subscription = await create({ price: quarterly, commitment: { interval: 'year', interval_count: 1, renewal: 'expire', reminder_days_before: 14 } });
  const s = await eventually(async () => {
    const r = await api.call('operator', 'GET', `/v1/subscriptions/${subscription.id}`);
    expect(r.body.commitment?.current_term).not.toBeNull();
    return r.body;
  });
  const anchor = new Date(s.billing_cycle_anchor);
  const termEnd = new Date(plusCalendar(anchor, { years: 1 }, 'UTC')); // from Feb 29: Feb 28, not Mar 1
  expect(s.commitment).toEqual({
    interval: 'year',
    interval_count: 1,
    renewal: 'expire',
    reminder_days_before: 14,
    current_term: { index: 0, start: anchor.toISOString(), end: termEnd.toISOString() },
  });

  const defaults = await create({ commitment: { interval: 'month', interval_count: 12 } });
  expect(defaults.commitment).toMatchObject({ renewal: 'renew', reminder_days_before: 30 });

  const customer = await newCustomer();
  expectError(
    await api.call('sales', 'POST', '/v1/subscriptions', { customer, price: quarterly, commitment: { interval: 'month', interval_count: 13 } }),
    422,
    'term_not_whole_periods',
    'commitment[interval_count]',
  );
  expectError(
    await api.call('sales', 'POST', '/v1/subscriptions', { customer, price: basic, commitment: { interval: 'week', interval_count: 4 } }),
    422,
    'term_not_whole_periods',
  );
  expectError(await api.call('sales', 'POST', '/v1/subscriptions', { customer, price: basic, commitment: { interval: 'month' } }), 400, undefined, 'commitment[interval_count]');
  expectError(await api.call('sales', 'POST', '/v1/subscriptions', { customer, price: basic, trial_period_days: 7, trial_end: new Date(Date.now() + DAY).toISOString() }), 400, undefined, 'trial_end');
  expectError(await api.call('sales', 'POST', '/v1/subscriptions', { customer, price: basic, trial_end: new Date(Date.now() - DAY).toISOString() }), 400, undefined, 'trial_end');
  expectError(await api.call('sales', 'POST', '/v1/subscriptions', { customer, price: basic, trial_period_days: 0 }), 400, undefined, 'trial_period_days');
  expectError(await api.call('sales', 'POST', '/v1/subscriptions', { customer, price: basic, start_date: '9999-12-31T00:00:00Z', trial_period_days: 30 }), 400, undefined, 'start_date');
  // Nothing was written for the refused requests.
  expect((await api.call('operator', 'GET', `/v1/subscriptions?customer=${customer}`)).body.data).toHaveLength(0);
});

test('pause at a date with an automatic resume, dropped by resume; bad dates are 409 with the reason', async () => {
  const subscription = await billed();
  const id = subscription.id;
  const pauseAt = new Date(Date.now() + 5 * DAY).toISOString();
  const resumeAt = new Date(Date.now() + 40 * DAY).toISOString();

  const scheduled = await api.call('operator', 'POST', `/v1/subscriptions/${id}/pause`, { pause_at: pauseAt, resume_at: resumeAt });
  expect(scheduled.status).toBe(200);
  expect(scheduled.body).toMatchObject({ status: 'active', pause_scheduled_at: pauseAt, resume_at: resumeAt });
  // The pause starts before the next boundary, so billing picks up at the first boundary after the resume.
  expect(Date.parse(scheduled.body.next_billing_date)).toBeGreaterThanOrEqual(Date.parse(resumeAt));
  expect(Date.parse(scheduled.body.next_billing_date) - Date.parse(resumeAt)).toBeLessThanOrEqual(31 * DAY);
  const again = await api.call('operator', 'POST', `/v1/subscriptions/${id}/pause`, { pause_at: pauseAt });
  expectError(again, 409, 'invalid_state_transition');
  expect(again.body.error.message).toMatch(/already scheduled/);

  const dropped = await api.call('operator', 'POST', `/v1/subscriptions/${id}/resume`);
  expect(dropped.body).toMatchObject({ status: 'active', pause_scheduled_at: null, resume_at: null });
  expect(dropped.body.next_billing_date).toBe(subscription.current_period.end);

  const past = await api.call('operator', 'POST', `/v1/subscriptions/${id}/pause`, { pause_at: new Date(Date.now() - DAY).toISOString() });
  expectError(past, 409, 'invalid_state_transition');
  expect(past.body.error.message).toMatch(/not in the future/);
  const backwards = await api.call('operator', 'POST', `/v1/subscriptions/${id}/pause`, { pause_at: resumeAt, resume_at: pauseAt });
  expectError(backwards, 409, 'invalid_state_transition');
  expect(backwards.body.error.message).toMatch(/must be after/);
  expectError(await api.call('operator', 'POST', `/v1/subscriptions/${id}/pause`, { pause_at: 'tomorrow' }), 400, undefined, 'pause_at');
  // Beyond ten years: refused before the workflow sees it (a resume in 9999 once made the next billing date unstorable).
  expectError(await api.call('operator', 'POST', `/v1/subscriptions/${id}/pause`, { resume_at: '9999-12-31T23:59:59Z' }), 400, undefined, 'resume_at');
  expectError(await api.call('operator', 'POST', `/v1/subscriptions/${id}/pause`, { pause_at: '2999-01-01T00:00:00Z' }), 400, undefined, 'pause_at');

  // Paused now with an automatic resume: the next billing date is the first boundary after it.
  const now = await api.call('operator', 'POST', `/v1/subscriptions/${id}/pause`, { resume_at: resumeAt });
  expect(now.body).toMatchObject({ status: 'paused', resume_at: resumeAt });
  expect(Date.parse(now.body.next_billing_date)).toBeGreaterThanOrEqual(Date.parse(resumeAt));
  expect(Date.parse(now.body.next_billing_date) - Date.parse(resumeAt)).toBeLessThanOrEqual(31 * DAY);
});

test('a cancel at period end can be undone; undo without one is a 409', async () => {
  const subscription = await billed();
  const id = subscription.id;
  expectError(await api.call('operator', 'POST', `/v1/subscriptions/${id}/undo-cancel`), 409, 'invalid_state_transition');
  const canceling = await api.call('operator', 'POST', `/v1/subscriptions/${id}/cancel`, { at_period_end: true });
  expect(canceling.body).toMatchObject({ cancel_at_period_end: true, next_billing_date: null, cancellation_reason: 'cancellation_requested' });
  const kept = await api.call('operator', 'POST', `/v1/subscriptions/${id}/undo-cancel`);
  expect(kept.status).toBe(200);
  expect(kept.body).toMatchObject({ status: 'active', cancel_at_period_end: false, cancellation_reason: null, next_billing_date: subscription.current_period.end });
  expectError(await api.call('sales', 'POST', `/v1/subscriptions/${id}/undo-cancel`), 403);
});

test('a customer paying by emailed invoice switches to autopay once a card is saved', async () => {
  const customer = await newCustomer({ default_payment_method: undefined });
  const created = await api.call('sales', 'POST', '/v1/subscriptions', { customer, price: basic, collection_method: 'send_invoice' });
  expect(created.status).toBe(200);
  const id = created.body.id;
  const switchTo = (collection_method: string) => api.call('operator', 'POST', `/v1/subscriptions/${id}/collection-method`, { collection_method });

  expectError(await switchTo('charge_automatically'), 422, 'no_payment_method', 'collection_method');
  expect((await api.call('operator', 'GET', `/v1/subscriptions/${id}`)).body.collection_method).toBe('send_invoice');

  expect((await api.call('operator', 'POST', `/v1/customers/${customer}/payment-method`, { payment_method: 'pm_card_visa' })).status).toBe(200);
  const switched = await switchTo('charge_automatically');
  expect(switched.status).toBe(200);
  expect(switched.body.collection_method).toBe('charge_automatically');
  expectError(await switchTo('by_carrier_pigeon'), 400, undefined, 'collection_method');
  expectError(await api.call('operator', 'POST', '/v1/subscriptions/sub_missing/collection-method', { collection_method: 'send_invoice' }), 404);
});

test('cancellation requests wait for an operator: approve cancels as asked, reject keeps the subscription', async () => {
  const subscription = await billed();
  const id = subscription.id;
  const requested = await api.call('sales', 'POST', `/v1/subscriptions/${id}/cancellation-requests`, { reason: 'too_expensive', comment: 'Budget cut' });
  expect(requested.status).toBe(200);
  expect(requested.body).toMatchObject({ object: 'cancellation_request', subscription: id, status: 'pending', at_period_end: true, reason: 'too_expensive' });
  // Recorded only: the subscription is untouched until an operator decides.
  expect((await api.call('operator', 'GET', `/v1/subscriptions/${id}`)).body.cancel_at_period_end).toBe(false);
  expectError(await api.call('sales', 'POST', `/v1/subscriptions/${id}/cancellation-requests`, {}), 409, 'cancellation_request_pending');

  const queue = await api.call('operator', 'GET', `/v1/cancellation-requests?status=pending&subscription=${id}`);
  expect(queue.body.data.map((r: { id: string }) => r.id)).toEqual([requested.body.id]);
  expectError(await api.call('sales', 'POST', `/v1/cancellation-requests/${requested.body.id}/approve`, {}), 403);

  const approved = await api.call('operator', 'POST', `/v1/cancellation-requests/${requested.body.id}/approve`, { note: 'retention offer declined' });
  expect(approved.status).toBe(200);
  expect(approved.body).toMatchObject({ status: 'approved', decision_note: 'retention offer declined' });
  expect(approved.body.decided_at).not.toBeNull();
  expect((await api.call('operator', 'GET', `/v1/subscriptions/${id}`)).body).toMatchObject({
    status: 'active',
    cancel_at_period_end: true,
    cancellation_reason: 'cancellation_requested',
  });
  expectError(await api.call('operator', 'POST', `/v1/cancellation-requests/${requested.body.id}/reject`, {}), 409, 'cancellation_request_decided');

  const other = await billed();
  const second = await api.call('sales', 'POST', `/v1/subscriptions/${other.id}/cancellation-requests`, { at_period_end: false });
  const rejected = await api.call('operator', 'POST', `/v1/cancellation-requests/${second.body.id}/reject`, { note: 'contract runs to year end' });
  expect(rejected.body).toMatchObject({ status: 'rejected', decision_note: 'contract runs to year end' });
  expect((await api.call('operator', 'GET', `/v1/subscriptions/${other.id}`)).body).toMatchObject({ status: 'active', cancel_at_period_end: false });

  expectError(await api.call('sales', 'POST', '/v1/subscriptions/sub_missing/cancellation-requests', {}), 404);
  expectError(await api.call('sales', 'POST', `/v1/subscriptions/${id}/cancellation-requests`, { reason: 'meh' }), 400, undefined, 'reason');
  expectError(await api.call('operator', 'GET', '/v1/cancellation-requests/csr_missing'), 404);
});

describe('with CANCELLATION_REQUESTS=immediate', () => {
  let immediate: ApiHarness;
  beforeAll(async () => {
    immediate = await startApiHarness({ workflowAnswerTimeoutMs: 30_000, cancellationRequests: 'immediate' });
  });
  afterAll(async () => {
    await immediate?.close();
  });

  test('a request is applied as it is made, and a refused one leaves no record', async () => {
    const customer = (
      await immediate.call('sales', 'POST', '/v1/customers', { email: `now-${randomUUID()}@example.com`, name: 'Now', currency: 'usd', default_payment_method: 'pm_card_visa' })
    ).body.id;
    const created = await immediate.call('sales', 'POST', '/v1/subscriptions', { customer, price: basic });
    const id = created.body.id;
    await eventually(async () => expect((await immediate.call('operator', 'GET', `/v1/subscriptions/${id}`)).body.current_period?.index).toBe(0));

    const request = await immediate.call('sales', 'POST', `/v1/subscriptions/${id}/cancellation-requests`, { at_period_end: true });
    expect(request.status).toBe(200);
    expect(request.body.status).toBe('approved');
    expect((await immediate.call('operator', 'GET', `/v1/subscriptions/${id}`)).body.cancel_at_period_end).toBe(true);

    // Already set to cancel at period end: the workflow refuses, and no request is left behind.
    const refused = await immediate.call('sales', 'POST', `/v1/subscriptions/${id}/cancellation-requests`, { at_period_end: true });
    expectError(refused, 409, 'invalid_state_transition');
    const all = await immediate.call('operator', 'GET', `/v1/cancellation-requests?subscription=${id}`);
    expect(all.body.data.map((r: { status: string }) => r.status)).toEqual(['approved']);
  });
});

test('a plan change at period end shows as the pending_update until a later one replaces it', async () => {
  const subscription = await billed();
  const id = subscription.id;
  expect(subscription.pending_update).toBeNull();
  const first = await api.call('sales', 'POST', `/v1/subscriptions/${id}/change-plan`, { price: pro, at_period_end: true });
  expect(first.status).toBe(200);
  const pending = (await api.call('operator', 'GET', `/v1/subscriptions/${id}`)).body;
  expect(pending.pending_update).toEqual({
    plan_change: first.body.id,
    item: subscription.items.data[0].id,
    price: pro,
    quantity: 1,
    effective_at: subscription.current_period.end,
  });
  // Still billing the old price until then.
  expect(pending.price).toBe(basic);

  const second = await api.call('sales', 'POST', `/v1/subscriptions/${id}/change-plan`, { quantity: 3, at_period_end: true });
  expect(second.status).toBe(200);
  expect((await api.call('operator', 'GET', `/v1/subscriptions/${id}`)).body.pending_update).toMatchObject({ plan_change: second.body.id, price: basic, quantity: 3 });
  const changes = (await api.call('operator', 'GET', `/v1/subscriptions/${id}/plan-changes`)).body.data;
  expect(changes.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([
    [second.body.id, 'scheduled'],
    [first.body.id, 'superseded'],
  ]);
});

test('a billing anchor after the start: active at once, the partial period charged on the first invoice, exactly', async () => {
  const customer = await newCustomer(); // billed in UTC
  const start = new Date(Math.ceil((Date.now() + 60_000) / 1000) * 1000);
  const anchor = new Date(start.getTime() + 10 * DAY + 5 * 3_600_000);
  const created = await api.call('sales', 'POST', '/v1/subscriptions', {
    customer,
    items: [
      { price: basic, quantity: 2 },
      { price: pro, quantity: 1 },
    ],
    start_date: start.toISOString(),
    billing_cycle_anchor: anchor.toISOString(),
  });
  expect(created.status).toBe(200);
  const s = await eventually(async () => {
    const r = await api.call('operator', 'GET', `/v1/subscriptions/${created.body.id}`);
    expect(r.body.status).not.toBe('incomplete');
    return r.body;
  });
  expect(s).toMatchObject({ start_date: start.toISOString(), billing_cycle_anchor: anchor.toISOString(), next_billing_date: anchor.toISOString(), current_period: null });
  expect(s.status).toBe('scheduled'); // it starts in a minute; then it is active, unbilled until the anchor

  // The whole period before the anchor is one calendar month (the customer's zone is UTC).
  const monthBefore = new Date(plusCalendar(anchor, { months: -1 }, 'UTC')); // from Mar 31: Feb 28/29, not Mar 3
  const share = (amount: number) =>
    Number((2n * BigInt(amount) * BigInt(anchor.getTime() - start.getTime()) + BigInt(anchor.getTime() - monthBefore.getTime())) / (2n * BigInt(anchor.getTime() - monthBefore.getTime())));
  const upcoming = await api.call('sales', 'GET', `/v1/subscriptions/${s.id}/upcoming-invoice`);
  expect(upcoming.status).toBe(200);
  expect(upcoming.body.period.start).toBe(anchor.toISOString());
  expect(upcoming.body.lines.map((l: { price: string | null; amount: number }) => [l.price, l.amount])).toEqual([
    [basic, 60_00],
    [pro, 90_00],
    [null, share(60_00)],
    [null, share(90_00)],
  ]);
  expect(upcoming.body.lines[2].description).toMatch(/^Studio \(basic\) × 2, partial period /);
  // Each line carries what it covers: the items the period from the anchor, the partial periods start to anchor.
  const fromAnchor = { start: anchor.toISOString(), end: upcoming.body.period.end };
  const partialPeriod = { start: start.toISOString(), end: anchor.toISOString() };
  expect(Date.parse(fromAnchor.end)).toBeGreaterThan(anchor.getTime() + 27 * DAY);
  expect(upcoming.body.lines.map((l: { period: unknown }) => l.period)).toEqual([fromAnchor, fromAnchor, partialPeriod, partialPeriod]);
  expect(upcoming.body.total).toBe(150_00 + share(60_00) + share(90_00));

  // Without proration the partial period is free: the first invoice is the period alone.
  const free = await api.call('sales', 'POST', '/v1/subscriptions', {
    customer: await newCustomer(),
    price: basic,
    billing_cycle_anchor: anchor.toISOString(),
    proration_behavior: 'none',
  });
  expect(free.status).toBe(200);
  expect(free.body.status).toBe('active');
  const freeUpcoming = await api.call('sales', 'GET', `/v1/subscriptions/${free.body.id}/upcoming-invoice`);
  expect(freeUpcoming.body.lines.map((l: { amount: number }) => l.amount)).toEqual([30_00]);
  // It can end at the anchor, before anything is billed.
  const ending = await api.call('operator', 'POST', `/v1/subscriptions/${free.body.id}/cancel`, { at_period_end: true });
  expect(ending.body).toMatchObject({ status: 'active', cancel_at_period_end: true, next_billing_date: null });

  const bad = await newCustomer();
  const tooFar = new Date(Date.now() + 40 * DAY).toISOString();
  expectError(await api.call('sales', 'POST', '/v1/subscriptions', { customer: bad, price: basic, billing_cycle_anchor: tooFar }), 400, undefined, 'billing_cycle_anchor');
  expectError(await api.call('sales', 'POST', '/v1/subscriptions', { customer: bad, price: basic, billing_cycle_anchor: new Date(Date.now() - DAY).toISOString() }), 400, undefined, 'billing_cycle_anchor');
  expectError(
    await api.call('sales', 'POST', '/v1/subscriptions', { customer: bad, price: basic, trial_period_days: 3, billing_cycle_anchor: anchor.toISOString() }),
    400,
    undefined,
    'billing_cycle_anchor',
  );
  expectError(await api.call('sales', 'POST', '/v1/subscriptions', { customer: bad, price: basic, proration_behavior: 'none' }), 400, undefined, 'proration_behavior');
  expect((await api.call('operator', 'GET', `/v1/subscriptions?customer=${bad}`)).body.data).toHaveLength(0);
});
