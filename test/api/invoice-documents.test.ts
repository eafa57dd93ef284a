/** Invoice PDFs and payment receipts through the API, for invoices the real worker billed. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { eventually } from '../support/eventually';

/** The PDF's text, page by page, read by MuPDF (test/unit/documents/pdf-probe.mjs). */
function pdfText(pdf: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [join(__dirname, '../unit/documents/pdf-probe.mjs')], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(stderr || err.message)) : resolve((JSON.parse(stdout) as { text: string[] }).text),
    );
    child.stdin!.end(pdf);
  });
}

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});

async function get(url: string, role: 'admin' | 'operator' | 'sales' = 'sales') {
  const response = await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${api.keys[role]}` } });
  return { status: response.statusCode, headers: response.headers, raw: response.rawPayload };
}

const ok = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
  const res = await api.call('admin', method, url, body);
  expect({ url, status: res.status, body: res.status === 200 ? null : res.body }).toEqual({ url, status: 200, body: null });
  return res.body;
};

/** A subscription the worker bills at once, charging `paymentMethod`; returns its first invoice and payment. */
async function billedSubscription(paymentMethod: string, status: 'succeeded' | 'failed') {
  const customer = await ok('POST', '/v1/customers', {
    email: `documents-${Date.now()}@example.com`,
    name: 'Grace Hopper',
    currency: 'usd',
    billing_address: { line1: '1 Navy Yard', city: 'Arlington', state: 'VA', postal_code: '22202', country: 'US' },
    default_payment_method: paymentMethod,
  });
  const product = await ok('POST', '/v1/products', { name: 'Documents plan' });
  const price = await ok('POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 4200, recurring: { interval: 'month' } });
  const subscription = await ok('POST', '/v1/subscriptions', { customer: customer.id, price: price.id });
  return eventually(
    async () => {
      const invoices = await ok('GET', `/v1/invoices?subscription=${subscription.id}`);
      const payments = await ok('GET', `/v1/payments?customer=${customer.id}&status=${status}`);
      expect(invoices.data).toHaveLength(1);
      expect(payments.data.length).toBeGreaterThan(0);
      return { invoice: invoices.data[0], payment: payments.data[0] };
    },
    { timeoutMs: 60_000 },
  );
}

describe('GET /v1/invoices/:id/pdf', () => {
  test('returns the invoice as a PDF named after its number', async () => {
    const { invoice } = await billedSubscription('pm_card_visa', 'succeeded');
    const res = await get(`/v1/invoices/${invoice.id}/pdf`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(`inline; filename="invoice-${invoice.number}.pdf"`);
    expect(res.raw.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(Number(res.headers['content-length'])).toBe(res.raw.length);
    // The number is in the document's metadata title, stored as plain text even in a compressed file.
    expect(res.raw.toString('latin1')).toContain(`Invoice ${invoice.number}`);
  });

  test('a one-off draft prints its discounts, fees, taxes, memo and footer, watermarked and without a number', async () => {
    const customer = await ok('POST', '/v1/customers', { email: `one-off-${Date.now()}@example.com`, name: 'Ada Lovelace', currency: 'eur' });
    const draft = await ok('POST', '/v1/invoices', {
      customer: customer.id,
      lines: [
        { description: 'Consulting, November', unit_amount: 80000, quantity: 3 },
        { description: 'Travel', unit_amount: 12050 },
      ],
      discounts: [{ description: 'Partner discount', percent_off: '10' }],
      fees: [{ description: 'Late booking fee', amount: 2500 }],
      tax_rates: [{ display_name: 'VAT', percentage: '20' }],
      memo: 'Thank you, Ada.',
      footer: 'Pay by transfer to IBAN DE89 3704 0044 0532 0130 00.',
    });
    expect(draft.number).toBeNull();

    const res = await get(`/v1/invoices/${draft.id}/pdf`);
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe(`inline; filename="invoice-draft-${draft.id}.pdf"`);
    const text = (await pdfText(res.raw)).join('\n');
    const euros = (minor: number) => `€${(minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}`;
    for (const expected of [
      'DRAFT',
      'Ada Lovelace',
      'Consulting, November',
      'Partner discount (10%)',
      `-${euros(draft.discounts[0].amount)}`,
      'Late booking fee',
      'VAT 20%',
      euros(draft.tax),
      euros(draft.total),
      'Thank you, Ada.',
      'Pay by transfer to IBAN DE89 3704 0044 0532 0130 00.',
    ]) {
      expect({ expected, found: text.includes(expected) }).toEqual({ expected, found: true });
    }
  });

  test('an unknown invoice is a 404 in the API error shape', async () => {
    const res = await api.call('operator', 'GET', '/v1/invoices/in_does_not_exist/pdf');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing' });
  });
});

describe('GET /v1/payments/:id/receipt.pdf', () => {
  test('a succeeded payment has a receipt', async () => {
    const { payment, invoice } = await billedSubscription('pm_card_visa', 'succeeded');
    const res = await get(`/v1/payments/${payment.id}/receipt.pdf`, 'operator');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(`inline; filename="receipt-${payment.id}.pdf"`);
    expect(res.raw.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(res.raw.toString('latin1')).toContain(`Receipt for invoice ${invoice.number}`);
  });

  test('a failed payment has none: 409', async () => {
    const { payment } = await billedSubscription('pm_card_chargeDeclined', 'failed');
    const res = await api.call('sales', 'GET', `/v1/payments/${payment.id}/receipt.pdf`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'payment_not_succeeded' });
    expect(res.body.error.message).toContain('failed');
  });

  test('an unknown payment is a 404', async () => {
    const res = await api.call('sales', 'GET', '/v1/payments/pay_does_not_exist/receipt.pdf');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('resource_missing');
  });
});

test('the OpenAPI document describes both downloads as application/pdf', async () => {
  const doc = JSON.parse((await api.app.inject({ method: 'GET', url: '/openapi.json' })).body);
  for (const path of ['/v1/invoices/{id}/pdf', '/v1/payments/{id}/receipt.pdf']) {
    const ok200 = doc.paths[path].get.responses['200'];
    expect(ok200.content['application/pdf'].schema).toEqual({ type: 'string', format: 'binary' });
  }
});
