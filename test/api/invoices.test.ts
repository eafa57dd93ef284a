/**
 * One-off invoices through the real API, worker, Temporal dev server and PostgreSQL: drafted by sales
 * (lines from the catalog and free text, discounts, fees, taxes), previewed, edited, finalized
 * (number, due date, collection workflow), listed with filters, and every refusal.
 */
import { DateTime } from 'luxon';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { Invoice } from '../../db/entities';
import { computeInvoiceTotals, parsePercentage } from '../../domain/pricing';
import { invoiceCollectionWorkflowId } from '../../workflows/invoice-collection/contract';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});

async function oneTimePrice(currency = 'usd', unitAmount = 12_000): Promise<string> {
  const product = await api.call('admin', 'POST', '/v1/products', { name: 'Consulting day' });
  const price = await api.call('admin', 'POST', '/v1/prices', { product: product.body.id, currency, unit_amount: unitAmount, nickname: 'standard' });
  expect(price.status).toBe(200);
  return price.body.id;
}

async function customer(fields: Record<string, unknown> = {}): Promise<string> {
  const res = await api.call('sales', 'POST', '/v1/customers', {
    email: `client-${Date.now()}@example.com`,
    name: 'Client',
    currency: 'usd',
    ...fields,
  });
  expect(res.status).toBe(200);
  return res.body.id;
}

async function inject(role: 'admin' | 'sales' | 'operator', method: 'DELETE', url: string) {
  const res = await api.app.inject({ method, url, headers: { authorization: `Bearer ${api.keys[role]}` } });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

const workflowExists = async (invoiceId: string) => {
  try {
    await api.temporal.workflow.getHandle(invoiceCollectionWorkflowId(invoiceId)).describe();
    return true;
  } catch {
    return false;
  }
};

test('draft → preview → update → finalize: exact totals, a number and due date at finalize, collection started', async () => {
  const price = await oneTimePrice();
  const cus = await customer({ time_zone: 'America/New_York' });
  const body = {
    customer: cus,
    lines: [{ price, quantity: 2 }, { description: 'Setup', unit_amount: 4999 }],
    discounts: [{ description: 'Launch offer', percent_off: '12.5' }, { amount_off: 1000 }],
    fees: [{ description: 'Travel', amount: 2500, taxable: true }, { description: 'Card surcharge', percentage: '2.9' }],
    tax_rates: [{ display_name: 'NY sales tax', percentage: '8.875' }],
    memo: 'Thank you for your business!',
  };
  const expected = computeInvoiceTotals({
    currency: 'USD',
    lines: [{ unitAmount: 12_000, quantity: 2 }, { unitAmount: 4999, quantity: 1 }],
    discounts: [{ type: 'percentage', ratePpm: parsePercentage('12.5') }, { type: 'fixed_amount', amount: 1000 }],
    fees: [
      { type: 'fixed_amount', amount: 2500, taxable: true, description: 'Travel' },
      { type: 'percentage', ratePpm: parsePercentage('2.9'), taxable: false, description: 'Card surcharge' },
    ],
    taxRates: [{ displayName: 'NY sales tax', ratePpm: parsePercentage('8.875'), inclusive: false }],
  });

  const preview = await api.call('operator', 'POST', '/v1/invoices/preview', body);
  expect(preview.status).toBe(200);
  expect(preview.body).toMatchObject({
    object: 'invoice_preview',
    currency: 'usd',
    collection_method: 'send_invoice',
    payment_terms: 'net_30',
    subtotal: 28_999,
    discount_total: expected.discountTotal,
    fee_total: expected.feeTotal,
    tax: expected.taxTotal,
    total: expected.total,
    tax_amounts: [{ display_name: 'NY sales tax', percentage: '8.875', inclusive: false, amount: expected.taxes[0]!.amount }],
  });
  expect(preview.body.lines.map((l: { discount_amount: number }) => l.discount_amount)).toEqual(expected.lines.map((l) => l.discountAmount));
  // Nothing saved by a preview.
  expect((await api.call('admin', 'GET', `/v1/invoices?customer=${cus}`)).body.data).toEqual([]);

  const created = await api.call('sales', 'POST', '/v1/invoices', body);
  expect(created.status).toBe(200);
  const id = created.body.id as string;
  expect(created.body).toMatchObject({
    object: 'invoice',
    status: 'draft',
    number: null,
    due_date: null,
    finalized_at: null,
    customer: cus,
    subscription: null,
    payment_terms: 'net_30',
    subtotal: 28_999,
    discount_total: expected.discountTotal,
    fee_total: expected.feeTotal,
    tax: expected.taxTotal,
    total: expected.total,
    amount_due: expected.total,
    amount_remaining: expected.total,
    memo: 'Thank you for your business!',
    discounts: [
      { description: 'Launch offer', percent_off: '12.5', amount_off: null, amount: expected.discounts[0]!.amount },
      { description: null, percent_off: null, amount_off: 1000, amount: 1000 },
    ],
    fees: [
      { description: 'Travel', percentage: null, amount: 2500, taxable: true },
      { description: 'Card surcharge', percentage: '2.9', amount: expected.fees[1]!.amount, taxable: false },
    ],
  });
  expect(created.body.lines).toEqual([
    expect.objectContaining({ price, description: 'Consulting day (standard)', quantity: 2, unit_amount: 12_000, amount: 24_000 }),
    expect.objectContaining({ price: null, description: 'Setup', quantity: 1, unit_amount: 4999, amount: 4999 }),
  ]);
  expect(created.body.total).toBe(preview.body.total);

  // Update: new lines and no discounts; the memo can be cleared; the fees and taxes stay.
  const updated = await api.call('sales', 'POST', `/v1/invoices/${id}`, {
    lines: [{ description: 'Workshop', unit_amount: 10_000, quantity: 3 }],
    discounts: [],
    memo: null,
  });
  expect(updated.status).toBe(200);
  const afterUpdate = computeInvoiceTotals({
    currency: 'USD',
    lines: [{ unitAmount: 10_000, quantity: 3 }],
    fees: [
      { type: 'fixed_amount', amount: 2500, taxable: true, description: 'Travel' },
      { type: 'percentage', ratePpm: parsePercentage('2.9'), taxable: false, description: 'Card surcharge' },
    ],
    taxRates: [{ displayName: 'NY sales tax', ratePpm: parsePercentage('8.875'), inclusive: false }],
  });
  expect(updated.body).toMatchObject({ status: 'draft', subtotal: 30_000, discount_total: 0, total: afterUpdate.total, memo: null, discounts: [] });
  expect(updated.body.fees).toHaveLength(2);
  expect(updated.body.lines).toEqual([expect.objectContaining({ description: 'Workshop', quantity: 3, amount: 30_000 })]);

  // An update leaving the lines alone keeps them.
  const termsOnly = await api.call('sales', 'POST', `/v1/invoices/${id}`, { payment_terms: 'net_15' });
  expect(termsOnly.body).toMatchObject({ payment_terms: 'net_15', total: afterUpdate.total });
  expect(termsOnly.body.lines).toEqual([expect.objectContaining({ description: 'Workshop', quantity: 3, amount: 30_000 })]);

  expect(await workflowExists(id)).toBe(false);
  const before = Date.now();
  const finalized = await api.call('operator', 'POST', `/v1/invoices/${id}/finalize`);
  expect(finalized.status).toBe(200);
  expect(finalized.body).toMatchObject({ status: 'open', total: afterUpdate.total, amount_due: afterUpdate.total, payment_terms: 'net_15' });
  expect(finalized.body.number).toMatch(/^INV-\d{6,}$/);
  const finalizedAt = DateTime.fromISO(finalized.body.finalized_at, { zone: 'America/New_York' });
  expect(finalizedAt.toMillis()).toBeGreaterThanOrEqual(before - 1000);
  expect(finalized.body.due_date).toBe(finalizedAt.plus({ days: 15 }).toUTC().toISO());
  expect(await workflowExists(id)).toBe(true);

  // Finalized: no more edits, no deletion, no second finalize; the record is unchanged.
  const edit = await api.call('sales', 'POST', `/v1/invoices/${id}`, { memo: 'late' });
  expect(edit.status).toBe(409);
  expect(edit.body.error.code).toBe('invoice_not_draft');
  const del = await inject('sales', 'DELETE', `/v1/invoices/${id}`);
  expect(del.status).toBe(409);
  expect(del.body.error.code).toBe('invoice_not_draft');
  const again = await api.call('admin', 'POST', `/v1/invoices/${id}/finalize`);
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('invalid_invoice_transition');
  const fetched = await api.call('operator', 'GET', `/v1/invoices/${id}`);
  expect(fetched.body).toMatchObject({ number: finalized.body.number, memo: null, status: 'open' });
});

test('a draft can be deleted, and then it is gone for every route', async () => {
  const cus = await customer();
  const draft = await api.call('sales', 'POST', '/v1/invoices', { customer: cus, lines: [{ description: 'Oops', unit_amount: 100 }] });
  const del = await inject('sales', 'DELETE', `/v1/invoices/${draft.body.id}`);
  expect(del).toEqual({ status: 200, body: { id: draft.body.id, object: 'invoice', deleted: true } });
  expect((await api.call('sales', 'GET', `/v1/invoices/${draft.body.id}`)).status).toBe(404);
  expect((await inject('sales', 'DELETE', `/v1/invoices/${draft.body.id}`)).status).toBe(404);
  expect((await api.call('sales', 'POST', `/v1/invoices/${draft.body.id}/finalize`)).status).toBe(404);
});

test('a memo or footer of the wrong type is a 400, not coerced to null (which would clear it)', async () => {
  const cus = await customer();
  const draft = await api.call('sales', 'POST', '/v1/invoices', { customer: cus, memo: 'Thanks!', lines: [{ description: 'Work', unit_amount: 100 }] });
  for (const body of [{ memo: false }, { footer: 0 }]) {
    const res = await api.call('sales', 'POST', `/v1/invoices/${draft.body.id}`, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'parameter_invalid', param: Object.keys(body)[0] });
  }
  const cleared = await api.call('sales', 'POST', `/v1/invoices/${draft.body.id}`, { memo: null });
  expect(cleared.body.memo).toBeNull();
  expect((await api.call('sales', 'POST', `/v1/invoices/${draft.body.id}`, { memo: 'Again' })).body.memo).toBe('Again');
});

test('zero-decimal currencies, inclusive taxes, custom due dates and a zero total paid at finalize', async () => {
  const cus = await customer({ currency: 'jpy', time_zone: 'Asia/Tokyo', default_payment_method: 'pm_card_visa' });
  const dueDate = new Date(Date.now() + 10 * 86_400_000).toISOString();
  const created = await api.call('sales', 'POST', '/v1/invoices', {
    customer: cus,
    collection_method: 'charge_automatically',
    due_date: dueDate,
    lines: [{ description: 'Translation', unit_amount: 3333, quantity: 3 }],
    tax_rates: [{ display_name: '消費税', percentage: '10', inclusive: true }],
  });
  expect(created.status).toBe(200);
  // ¥9,999 includes 10 % tax: 9999 × 10 / 110 = 909.0 → 909; the total is unchanged.
  expect(created.body).toMatchObject({ currency: 'jpy', payment_terms: 'custom', due_date: dueDate, subtotal: 9999, tax: 909, total: 9999 });

  const free = await api.call('sales', 'POST', '/v1/invoices', {
    customer: cus,
    lines: [{ description: 'Goodwill', unit_amount: 5000 }],
    discounts: [{ percent_off: '100' }],
  });
  expect(free.body.total).toBe(0);
  const finalized = await api.call('sales', 'POST', `/v1/invoices/${free.body.id}/finalize`);
  expect(finalized.body).toMatchObject({ status: 'paid', amount_due: 0, total: 0 });
  expect(finalized.body.paid_at).toBe(finalized.body.finalized_at);
  expect(await workflowExists(free.body.id)).toBe(false);
});

test('list filters: status, customer, due date and created ranges, overdue', async () => {
  const cus = await customer();
  const make = async (unitAmount: number) =>
    (await api.call('sales', 'POST', '/v1/invoices', { customer: cus, lines: [{ description: 'Work', unit_amount: unitAmount }] })).body.id as string;
  const draft = await make(100);
  const overdue = await make(200);
  const current = await make(300);
  for (const id of [overdue, current]) expect((await api.call('sales', 'POST', `/v1/invoices/${id}/finalize`)).status).toBe(200);
  // Age one invoice past its due date, as time passing would.
  await api.orm.em.fork().nativeUpdate(Invoice, { id: overdue }, { dueDate: new Date(Date.now() - 86_400_000) });

  const ids = async (query: string) => {
    const res = await api.call('operator', 'GET', `/v1/invoices?customer=${cus}&${query}`);
    expect(res.status).toBe(200);
    return res.body.data.map((i: { id: string }) => i.id);
  };
  expect(await ids('status=draft')).toEqual([draft]);
  expect(await ids('status=open')).toEqual([current, overdue]);
  expect(await ids('overdue=true')).toEqual([overdue]);
  expect(await ids('overdue=false')).toEqual([current, draft]);
  expect(await ids(`due_date[lte]=${encodeURIComponent(new Date().toISOString())}`)).toEqual([overdue]);
  expect(await ids(`due_date[gte]=${encodeURIComponent(new Date().toISOString())}`)).toEqual([current]);
  expect(await ids(`created[gte]=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
  expect(await ids(`created[lte]=${encodeURIComponent(new Date().toISOString())}&limit=2`)).toEqual([current, overdue]);
  const page2 = await api.call('operator', 'GET', `/v1/invoices?customer=${cus}&limit=2&starting_after=${overdue}`);
  expect(page2.body).toMatchObject({ has_more: false, data: [expect.objectContaining({ id: draft })] });

  const bad = await api.call('operator', 'GET', `/v1/invoices?due_date[gte]=yesterday`);
  expect(bad.status).toBe(400);
  expect(bad.body.error.param).toBe('due_date[gte]');
});

test('refusals name the field: 400 / 404 / 409 / 422', async () => {
  const usd = await customer();
  const eurPrice = await oneTimePrice('eur', 500);
  const expectError = async (res: { status: number; body: { error: { code: string; param?: string } } }, status: number, code: string, param?: string) => {
    expect({ status: res.status, code: res.body.error.code, param: res.body.error.param }).toEqual({ status, code, param });
  };
  const create = (fields: Record<string, unknown>) => api.call('sales', 'POST', '/v1/invoices', { customer: usd, lines: [{ description: 'x', unit_amount: 1 }], ...fields });

  await expectError(await create({ customer: 'cus_missing' }), 400, 'resource_missing', 'customer');
  await expectError(await create({ lines: [{ price: 'price_missing' }] }), 400, 'resource_missing', 'lines[0][price]');
  await expectError(await create({ lines: [{ description: 'ok', unit_amount: 1 }, { price: eurPrice }] }), 422, 'currency_mismatch', 'lines[1][price]');
  await expectError(await create({ currency: 'eur' }), 422, 'currency_mismatch', 'currency');
  await expectError(await create({ lines: [{ quantity: 2 }] }), 400, 'parameter_missing', 'lines[0][price]');
  await expectError(await create({ lines: [{ unit_amount: 5 }] }), 400, 'parameter_missing', 'lines[0][description]');
  await expectError(await create({ lines: [{ price: eurPrice, unit_amount: 5 }] }), 400, 'parameter_invalid', 'lines[0][unit_amount]');
  await expectError(await create({ lines: [] }), 400, 'parameter_invalid', 'lines');
  await expectError(await create({ discounts: [{ percent_off: '10', amount_off: 5 }] }), 400, 'parameter_invalid', 'discounts[0]');
  await expectError(await create({ discounts: [{ percent_off: '100.5' }] }), 400, 'parameter_invalid', 'discounts[0][percent_off]');
  await expectError(await create({ tax_rates: [{ display_name: 'VAT', percentage: '8.87501' }] }), 400, 'parameter_invalid', 'tax_rates[0][percentage]');
  await expectError(await create({ fees: [{ description: 'fee' }] }), 400, 'parameter_invalid', 'fees[0]');
  await expectError(await create({ payment_terms: 'net_30', due_date: new Date(Date.now() + 86_400_000).toISOString() }), 400, 'parameter_invalid', 'due_date');
  await expectError(await create({ payment_terms: 'custom' }), 400, 'parameter_missing', 'due_date');
  await expectError(await create({ due_date: new Date(Date.now() - 60_000).toISOString() }), 400, 'parameter_invalid', 'due_date');
  await expectError(
    await create({ lines: [{ description: 'huge', unit_amount: Number.MAX_SAFE_INTEGER, quantity: 2 }] }),
    422,
    'amount_too_large',
    undefined,
  );
  await expectError(await api.call('sales', 'POST', '/v1/invoices/in_missing', { memo: 'x' }), 404, 'resource_missing');
  await expectError(await api.call('sales', 'POST', '/v1/invoices/in_missing/finalize'), 404, 'resource_missing');
  await expectError(await api.call('sales', 'POST', `/v1/invoices/in_x`, { customer: usd }), 400, 'parameter_unknown', 'customer');

  // Charging automatically needs a card, checked when finalizing.
  const charged = await create({ collection_method: 'charge_automatically' });
  expect(charged.status).toBe(200);
  await expectError(await api.call('sales', 'POST', `/v1/invoices/${charged.body.id}/finalize`), 422, 'no_payment_method', 'collection_method');
  expect((await api.call('sales', 'GET', `/v1/invoices/${charged.body.id}`)).body).toMatchObject({ status: 'draft', number: null });

  // No half-written records from any of the refusals above: only the one valid draft exists.
  expect((await api.call('sales', 'GET', `/v1/invoices?customer=${usd}`)).body.data.map((i: { id: string }) => i.id)).toEqual([charged.body.id]);
});

test('Idempotency-Key: a retried create answers the same invoice and creates one', async () => {
  const cus = await customer();
  const body = { customer: cus, lines: [{ description: 'Retainer', unit_amount: 90_000 }] };
  const headers = { 'idempotency-key': `create-invoice-${cus}` };
  const first = await api.call('sales', 'POST', '/v1/invoices', body, headers);
  const second = await api.call('sales', 'POST', '/v1/invoices', body, headers);
  expect(first.status).toBe(200);
  expect(second.body.id).toBe(first.body.id);
  expect((await api.call('sales', 'GET', `/v1/invoices?customer=${cus}`)).body.data).toHaveLength(1);
});
