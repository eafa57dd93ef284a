/**
 * Instalment plans through the real API, worker, Temporal dev server and PostgreSQL: previewed,
 * created from a total or by splitting an invoice, followed to a zero balance in real time (due dates
 * seconds apart), changed, and every refusal with the field or rule it names.
 */
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { eventually } from '../support/eventually';

let api: ApiHarness;
beforeAll(async () => {
  // Every plan change waits for its workflow; beside other suites on 2 cores that can take a while.
  api = await startApiHarness({ workflowAnswerTimeoutMs: 30_000 });
});
afterAll(async () => {
  await api?.close();
});

const SECOND = 1000;
const DAY = 86_400_000;
const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();

async function customer(fields: Record<string, unknown> = {}): Promise<string> {
  const res = await api.call('sales', 'POST', '/v1/customers', {
    email: `lessee-${Date.now()}@example.com`,
    name: 'Lessee',
    currency: 'usd',
    default_payment_method: 'pm_card_visa',
    ...fields,
  });
  expect(res.status).toBe(200);
  return res.body.id;
}

/** An open invoice emailed to the customer (so nothing charges it before it is split). */
async function openInvoice(cus: string, amount: number): Promise<{ id: string; number: string }> {
  const draft = await api.call('sales', 'POST', '/v1/invoices', {
    customer: cus,
    collection_method: 'send_invoice',
    lines: [{ description: 'Machine delivery', unit_amount: amount }],
  });
  expect(draft.status).toBe(200);
  const open = await api.call('sales', 'POST', `/v1/invoices/${draft.body.id}/finalize`);
  expect(open.status).toBe(200);
  expect(open.body.status).toBe('open');
  return { id: open.body.id, number: open.body.number };
}

async function remove(url: string) {
  const res = await api.app.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${api.keys.operator}` } });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

const expectError = (res: { status: number; body: { error?: { code: string; param?: string } } }, status: number, code: string, param?: string) => {
  expect({ status: res.status, code: res.body.error?.code, ...(param ? { param: res.body.error?.param } : {}) }).toEqual({
    status,
    code,
    ...(param ? { param } : {}),
  });
};

test('preview returns the exact schedule and creates nothing', async () => {
  const cus = await customer({ time_zone: 'Europe/Paris' });
  const res = await api.call('sales', 'POST', '/v1/instalment-plans/preview', {
    customer: cus,
    total: 1_000_00,
    count: 3,
    down_payment: { percent: '10' },
    first_payment_date: '2031-01-31T09:00:00Z',
  });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ object: 'instalment_schedule', currency: 'usd', method: 'equal', principal: 1_000_00, interest_total: 0, total: 1_000_00 });
  // Down payment 100.00 on the first date; 900.00 in three monthly parts from a month later, month ends clamped.
  expect(res.body.instalments.map((i: { kind: string; amount: number; due_date: string }) => [i.kind, i.amount, i.due_date])).toEqual([
    ['down_payment', 100_00, '2031-01-31T09:00:00.000Z'],
    ['instalment', 300_00, '2031-02-28T09:00:00.000Z'],
    ['instalment', 300_00, '2031-03-31T08:00:00.000Z'], // 10:00 in Paris, summer time from 30 March
    ['instalment', 300_00, '2031-04-30T08:00:00.000Z'],
  ]);
  const list = await api.call('sales', 'GET', `/v1/instalment-plans?customer=${cus}`);
  expect(list.body.data).toEqual([]);
});

test('an invoice split into 4 is voided, replaced by the plan, and collected to a zero balance', async () => {
  const cus = await customer();
  const original = await openInvoice(cus, 1_000_01);
  const created = await api.call('sales', 'POST', '/v1/instalment-plans', {
    invoice: original.id,
    method: 'custom',
    instalments: [2, 4, 6, 8].map((s) => ({ due_date: inFuture(s * SECOND), percent: '25' })),
    collection_method: 'charge_automatically',
    reminder_days_before: 1,
    contract_reference: `DEAL-${cus}`,
  });
  expect(created.status).toBe(200);
  const plan = created.body;
  expect(plan).toMatchObject({
    object: 'instalment_plan',
    customer: cus,
    status: 'active',
    source_invoice: original.id,
    description: `Invoice ${original.number} in 4 parts`,
    balances: { total: 1_000_01, paid_amount: 0, remaining_balance: 1_000_01, payment_count: 0 },
  });
  // The total is unchanged; the extra cent lands by the allocation rule, every part within a cent of a quarter.
  const amounts = plan.instalments.map((i: { amount: number }) => i.amount);
  expect(amounts.reduce((a: number, b: number) => a + b, 0)).toBe(1_000_01);
  for (const amount of amounts) expect(Math.abs(amount - 250_00)).toBeLessThanOrEqual(1);

  const replaced = await api.call('operator', 'GET', `/v1/invoices/${original.id}`);
  expect(replaced.body).toMatchObject({ status: 'void', amount_due: 0, replaced_by_instalment_plan: plan.id });

  const done = await eventually(
    async () => {
      const res = await api.call('operator', 'GET', `/v1/instalment-plans/${plan.id}`);
      expect(res.body.status).toBe('completed');
      return res.body;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  expect(done.balances).toMatchObject({ total: 1_000_01, paid_amount: 1_000_01, payment_count: 4, remaining_balance: 0, remaining_principal: 0, next_payment_date: null });
  expect(done.balances.paid_this_month.count).toBe(4);
  expect(done.instalments.every((i: { status: string; invoice: string | null }) => i.status === 'paid' && i.invoice)).toBe(true);

  const invoices = await api.call('operator', 'GET', `/v1/invoices?customer=${cus}&status=paid`);
  const parts = invoices.body.data.filter((i: { instalment_plan: string | null }) => i.instalment_plan === plan.id);
  expect(parts).toHaveLength(4);
  expect(parts.reduce((sum: number, i: { amount_paid: number }) => sum + i.amount_paid, 0)).toBe(1_000_01);

  // The account manager was reminded of each part (customer's account owner unset, plan's manager unset: none to send).
  const balances = await api.call('sales', 'GET', `/v1/instalment-plans/balances?contract_reference=DEAL-${cus}`);
  expect(balances.body.data).toEqual([
    expect.objectContaining({ currency: 'usd', plan_count: 1, active_plan_count: 0, total: 1_000_01, paid_amount: 1_000_01, payment_count: 4, remaining_balance: 0 }),
  ]);
  const onCustomer = await api.call('sales', 'GET', `/v1/customers/${cus}`);
  expect(onCustomer.body.instalment_balances).toEqual([expect.objectContaining({ currency: 'usd', paid_amount: 1_000_01, remaining_balance: 0 })]);

  // The same invoice cannot be split again.
  const again = await api.call('sales', 'POST', '/v1/instalment-plans', { invoice: original.id, count: 2 });
  expectError(again, 409, 'invoice_already_split');
});

test('changes go through the workflow: edit, delete, reschedule, pay early, pay off, pause, resume, cancel', async () => {
  const cus = await customer({ account_owner_email: 'owner@example.com' });
  const created = await api.call('sales', 'POST', '/v1/instalment-plans', {
    customer: cus,
    total: 600_00,
    count: 6,
    first_payment_date: inFuture(30 * DAY),
    description: 'Fleet lease',
  });
  expect(created.status).toBe(200);
  const id = created.body.id;
  const url = `/v1/instalment-plans/${id}`;
  expect(created.body.instalments.map((i: { amount: number }) => i.amount)).toEqual(Array(6).fill(100_00));

  // Edit #2 to 160.00: the 60.00 comes off the other five scheduled ones (12.00 each).
  const edited = await api.call('operator', 'POST', `${url}/instalments/2`, { amount: 160_00 });
  expect(edited.status).toBe(200);
  expect(edited.body.instalments.map((i: { amount: number }) => i.amount)).toEqual([88_00, 160_00, 88_00, 88_00, 88_00, 88_00]);
  expect(edited.body.balances.total).toBe(600_00);

  // Delete #6 without keeping the total: the plan shrinks by its amount.
  const deleted = await remove(`${url}/instalments/6?keep_total=false`);
  expect(deleted.status).toBe(200);
  expect(deleted.body.instalments.map((i: { status: string }) => i.status)).toEqual(['scheduled', 'scheduled', 'scheduled', 'scheduled', 'scheduled', 'canceled']);
  expect(deleted.body.balances.total).toBe(512_00);

  // Reschedule: the rest moves, keeping its monthly spacing.
  const firstDueDate = new Date(Date.parse(created.body.instalments[0].due_date) + 10 * DAY).toISOString();
  const moved = await api.call('operator', 'POST', `${url}/reschedule`, { first_due_date: firstDueDate });
  expect(moved.status).toBe(200);
  expect(moved.body.instalments[0].due_date).toBe(firstDueDate);

  // Pay #1 early: invoiced and charged now.
  const early = await api.call('operator', 'POST', `${url}/pay-early`, {});
  expect(early.status).toBe(200);
  await eventually(async () => {
    const res = await api.call('operator', 'GET', url);
    expect(res.body.instalments[0].status).toBe('paid');
    expect(res.body.balances).toMatchObject({ paid_amount: 88_00, payment_count: 1 });
  });

  // Refusals name the rule: a paid instalment cannot change; a due date must keep the order.
  expectError(await api.call('operator', 'POST', `${url}/instalments/1`, { amount: 50_00 }), 409, 'instalment_not_editable');
  expectError(await api.call('operator', 'POST', `${url}/instalments/99`, { amount: 50_00 }), 404, 'resource_missing');
  const third = moved.body.instalments[2].due_date;
  expectError(await api.call('operator', 'POST', `${url}/instalments/2`, { due_date: new Date(Date.parse(third) + DAY).toISOString() }), 422, 'due_date_order');
  expectError(await api.call('operator', 'POST', `${url}/instalments/2`, { due_date: '2020-01-01T00:00:00Z' }), 400, 'parameter_invalid', 'due_date');
  expectError(await api.call('operator', 'POST', `${url}/resume`), 409, 'plan_not_paused');

  // Pause and resume.
  expect((await api.call('operator', 'POST', `${url}/pause`)).body.status).toBe('paused');
  expectError(await api.call('operator', 'POST', `${url}/pay-off`), 409, 'plan_paused');
  expect((await api.call('operator', 'POST', `${url}/resume`)).body.status).toBe('active');

  // Pay off: #2–#5 (424.00) replaced by one payoff instalment, invoiced now.
  const paidOff = await api.call('operator', 'POST', `${url}/pay-off`);
  expect(paidOff.status).toBe(200);
  const payoff = paidOff.body.instalments.find((i: { kind: string }) => i.kind === 'payoff');
  expect(payoff.amount).toBe(160_00 + 3 * 88_00);
  const completed = await eventually(async () => {
    const res = await api.call('operator', 'GET', url);
    expect(res.body.status).toBe('completed');
    return res.body;
  }, { timeoutMs: 30_000 });
  expect(completed.balances).toMatchObject({ total: 512_00, paid_amount: 512_00, payment_count: 2, remaining_balance: 0 });

  // A closed plan takes no more changes.
  expectError(await api.call('operator', 'POST', `${url}/cancel`, {}), 409, 'plan_closed');
});

test('cancel stops invoicing; the account owner gets reminders', async () => {
  const cus = await customer({ account_owner_email: 'owner@example.com' });
  const created = await api.call('sales', 'POST', '/v1/instalment-plans', {
    customer: cus,
    total: 300_00,
    count: 3,
    interval: 'week',
    first_payment_date: inFuture(2 * DAY),
    reminder_days_before: 3,
  });
  expect(created.status).toBe(200);
  const id = created.body.id;
  // The first reminder is already due (2 days ahead, reminders 3 days before): it goes out at once.
  await eventually(async () => {
    const emails = await api.call('operator', 'GET', `/v1/emails?related_id=${id}`);
    expect(emails.body.data.map((e: { kind: string; to: string }) => [e.kind, e.to])).toEqual([['instalment_reminder_owner', 'owner@example.com']]);
  });
  const canceled = await api.call('operator', 'POST', `/v1/instalment-plans/${id}/cancel`, { reason: 'customer returned the goods' });
  expect(canceled.status).toBe(200);
  expect(canceled.body).toMatchObject({ status: 'canceled', cancellation_reason: 'customer returned the goods' });
  expect(canceled.body.instalments.every((i: { status: string }) => i.status === 'canceled')).toBe(true);
  expect(canceled.body.balances).toMatchObject({ total: 0, remaining_balance: 0 });

  const listed = await api.call('sales', 'GET', `/v1/instalment-plans?customer=${cus}&status=canceled`);
  expect(listed.body.data.map((p: { id: string }) => p.id)).toEqual([id]);
});

test('bad requests name the field or rule, and nothing is written', async () => {
  const cus = await customer();
  const post = (body: Record<string, unknown>) => api.call('sales', 'POST', '/v1/instalment-plans', body);
  expectError(await post({ customer: cus, total: 100_00 }), 400, 'parameter_invalid', 'count');
  expectError(await post({ total: 100_00, count: 2 }), 400, 'parameter_invalid', 'customer');
  expectError(await post({ customer: 'cus_missing', total: 100_00, count: 2 }), 400, 'resource_missing', 'customer');
  expectError(await post({ customer: cus, total: 100_00, count: 2, down_payment: { amount: 10_00, percent: '10' } }), 400, 'parameter_invalid', 'down_payment');
  expectError(await post({ customer: cus, total: 100_00, count: 2, first_payment_date: '2020-01-01T00:00:00Z' }), 400, 'parameter_invalid', 'first_payment_date');
  expectError(await post({ customer: cus, total: 3, count: 4 }), 400, 'parameter_invalid', 'count');
  expectError(
    await post({ customer: cus, total: 100_00, method: 'custom', instalments: [{ due_date: inFuture(DAY), amount: 40_00 }, { due_date: inFuture(2 * DAY), amount: 50_00 }] }),
    400,
    'parameter_invalid',
    'instalments',
  );
  expectError(
    await post({ customer: cus, total: 100_00, method: 'custom', instalments: [{ due_date: inFuture(2 * DAY), amount: 50_00 }, { due_date: inFuture(DAY), amount: 50_00 }] }),
    400,
    'parameter_invalid',
    'instalments[1][due_date]',
  );
  expectError(await post({ customer: cus, total: 100_00, method: 'full', count: 2 }), 400, 'parameter_invalid', 'count');
  expectError(await post({ customer: await customer({ default_payment_method: undefined }), total: 100_00, count: 2 }), 422, 'no_payment_method', 'customer');

  // Only an open, unpaid invoice can be split.
  const draft = await api.call('sales', 'POST', '/v1/invoices', { customer: cus, lines: [{ description: 'Draft', unit_amount: 1000 }] });
  expectError(await post({ invoice: draft.body.id, count: 2 }), 422, 'invoice_not_open', 'invoice');
  const paid = await openInvoice(cus, 500_00);
  const partial = await api.call('operator', 'POST', `/v1/invoices/${paid.id}/mark-paid`, { method: 'bank_transfer', amount: 100_00 });
  expect(partial.body).toMatchObject({ status: 'open', amount_paid: 100_00 });
  expectError(await post({ invoice: paid.id, count: 2 }), 422, 'invoice_partially_paid', 'invoice');

  const list = await api.call('sales', 'GET', `/v1/instalment-plans?customer=${cus}`);
  expect(list.body.data).toEqual([]);
  expectError(await api.call('sales', 'GET', '/v1/instalment-plans/ipl_missing'), 404, 'resource_missing');
});
