/**
 * Invoice numbers under concurrency: 50 drafts finalized at once through the API (some twice at the
 * same moment) get exactly the numbers 1…50 of their prefix, no gap, no duplicate; a finalize whose
 * transaction rolls back after taking a number gives it back.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../api/app';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { Invoice } from '../../db/entities';
import { formatInvoiceNumber, takeInvoiceNumber, validateInvoiceNumberFormat } from '../../services/invoices/invoice-numbering';
import { TEST_RATE_LIMITS } from '../support/rate-limits';

let api: ApiHarness;
let app: FastifyInstance;
const format = { prefix: `N${randomUUID().slice(0, 6)}-`, padding: 4 };

beforeAll(async () => {
  api = await startApiHarness();
  // The same API with its own number format; collection workflows go to a queue no worker polls, so
  // 50 finalizations start 50 workflows that wait instead of competing for the test machine.
  app = await buildApp({
    orm: api.orm,
    temporal: api.temporal,
    taskQueue: `invoice-numbering-${randomUUID()}`,
    logger: pino({ level: 'silent' }),
    rateLimits: TEST_RATE_LIMITS,
    invoiceNumbering: format,
  });
});
afterAll(async () => {
  await app?.close();
  await api?.close();
});

async function call(method: 'POST', url: string, body?: unknown) {
  const res = await app.inject({ method, url, headers: { authorization: `Bearer ${api.keys.sales}` }, ...(body ? { payload: body as object } : {}) });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

test('50 concurrent finalizations number 1…50 with no gap and no duplicate; drafts have none', async () => {
  const customer = await api.call('sales', 'POST', '/v1/customers', { email: 'numbers@example.com', name: 'Numbers', currency: 'usd' });
  const drafts = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const res = await call('POST', '/v1/invoices', { customer: customer.body.id, lines: [{ description: `Job ${i}`, unit_amount: 1000 + i }] });
      expect(res.status).toBe(200);
      expect(res.body.number).toBeNull();
      return res.body.id as string;
    }),
  );

  // Every draft finalized at once, the first ten twice at the same moment: each invoice is numbered once.
  // The second of a pair is refused (409) when it finds the invoice open with its collection running;
  // when it arrives between the first's commit and its collection start, it finishes that finalize
  // instead (200, the same number, the same one collection workflow), as a retried finalize would.
  const attempts = [...drafts, ...drafts.slice(0, 10)];
  const results = await Promise.all(attempts.map((id) => call('POST', `/v1/invoices/${id}/finalize`)));
  const byInvoice = new Map<string, typeof results>();
  attempts.forEach((id, i) => byInvoice.set(id, [...(byInvoice.get(id) ?? []), results[i]!]));
  for (const [id, pair] of byInvoice) {
    const won = pair.filter((r) => r.status === 200);
    expect(won.length).toBeGreaterThanOrEqual(1);
    expect(new Set(won.map((r) => `${r.body.id} ${r.body.number}`))).toEqual(new Set([`${id} ${won[0]!.body.number}`]));
    for (const refused of pair.filter((r) => r.status !== 200)) {
      expect([refused.status, refused.body.error.code]).toEqual([409, 'invalid_invoice_transition']);
    }
  }

  const numbers = (await api.orm.em.fork().find(Invoice, { id: { $in: drafts } })).map((i) => i.number).sort();
  expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => `${format.prefix}${String(i + 1).padStart(4, '0')}`));
});

test('a finalize transaction that rolls back after taking a number gives it back', async () => {
  const own = { prefix: `R${randomUUID().slice(0, 6)}-`, padding: 3 };
  expect(await api.orm.em.fork().transactional((em) => takeInvoiceNumber(em, own))).toBe(`${own.prefix}001`);
  await expect(
    api.orm.em.fork().transactional(async (em) => {
      await takeInvoiceNumber(em, own);
      throw new Error('finalize failed after numbering');
    }),
  ).rejects.toThrow('finalize failed after numbering');
  expect(await api.orm.em.fork().transactional((em) => takeInvoiceNumber(em, own))).toBe(`${own.prefix}002`);
});

test('the format: prefix plus zero-padded sequence, validated', () => {
  expect(formatInvoiceNumber({ prefix: 'INV-', padding: 6 }, 42)).toBe('INV-000042');
  expect(formatInvoiceNumber({ prefix: 'ACME/2026/', padding: 3 }, 12345)).toBe('ACME/2026/12345');
  expect(() => validateInvoiceNumberFormat({ prefix: 'has space', padding: 6 })).toThrow('printable');
  expect(() => validateInvoiceNumberFormat({ prefix: 'INV-', padding: 0 })).toThrow('padding');
  expect(() => validateInvoiceNumberFormat({ prefix: 'X'.repeat(21), padding: 6 })).toThrow('at most 20');
});
