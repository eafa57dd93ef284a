/**
 * Splitting an open invoice into instalments, against real PostgreSQL: which invoices may be split,
 * and that the schedule built from one adds up exactly to what the invoice owes, to the cent, in a
 * currency with cents and in one without.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase, type MikroORM } from '../../../db/orm';
import { Invoice, type InvoiceStatus } from '../../../db/entities';
import { newId } from '../../../db/ids';
import { RuleViolation } from '../../../domain/rule-violation';
import { previewInstalmentSchedule } from '../../../services/instalment-plans/schedule-request';
import { checkSplittable } from '../../../services/instalment-plans/split-invoice';
import { requireEnv } from '../../support/env';
import { createCustomer } from '../../support/fixtures';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

async function invoice({ total, currency = 'USD', status = 'open' as InvoiceStatus, amountPaid = 0, instalmentPlanId = null as string | null }: { total: number; currency?: string; status?: InvoiceStatus; amountPaid?: number; instalmentPlanId?: string | null }): Promise<Invoice> {
  const customer = await createCustomer(orm, { email: `split-${randomUUID()}@example.com`, currency, timeZone: 'Asia/Tokyo' });
  const em = orm.em.fork();
  const now = new Date();
  const row = em.create(Invoice, {
    id: newId('invoice'),
    number: status === 'draft' ? null : `SP-${randomUUID()}`,
    customerId: customer.id,
    subscriptionId: null,
    periodIndex: null,
    periodStart: null,
    periodEnd: null,
    status,
    currency,
    subtotal: total,
    tax: 0,
    total,
    amountPaid,
    amountDue: total - amountPaid,
    collectionMethod: 'send_invoice',
    paymentTerms: 'net_30',
    dueDate: now,
    memo: null,
    footer: null,
    finalizedAt: status === 'draft' ? null : now,
    voidedAt: null,
    markedUncollectibleAt: null,
    paidAt: null,
    nextPaymentAttempt: null,
    pastDueAt: null,
    createdAt: now,
    updatedAt: now,
  });
  await em.flush();
  // The plan link is set on an instalment's invoice after its plan exists; no plan is needed to test the refusal.
  if (instalmentPlanId) row.instalmentPlanId = instalmentPlanId;
  return row;
}

function refusalOf(run: () => void) {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(RuleViolation);
    return { code: (err as RuleViolation).code, param: (err as RuleViolation).param };
  }
  throw new Error('expected a refusal');
}

describe('checkSplittable', () => {
  it('accepts an open unpaid invoice', async () => {
    const open = await invoice({ total: 10_000 });
    expect(() => checkSplittable(open)).not.toThrow();
  });

  it('refuses an instalment invoice, one not open, and one partly paid, naming the invoice', async () => {
    const instalment = await invoice({ total: 10_000, instalmentPlanId: 'ip_elsewhere' });
    expect(refusalOf(() => checkSplittable(instalment))).toEqual({ code: 'invoice_is_instalment', param: 'invoice' });
    for (const status of ['draft', 'paid', 'void', 'uncollectible'] as const) {
      const other = await invoice({ total: 10_000, status });
      expect(refusalOf(() => checkSplittable(other))).toEqual({ code: 'invoice_not_open', param: 'invoice' });
    }
    const partly = await invoice({ total: 10_000, amountPaid: 1 });
    expect(refusalOf(() => checkSplittable(partly))).toEqual({ code: 'invoice_partially_paid', param: 'invoice' });
  });
});

describe('the schedule of a split invoice', () => {
  const sum = (amounts: number[]) => amounts.reduce((a, b) => a + b, 0);

  it('adds up exactly to what the invoice owes, each part a whole number of cents', async () => {
    const open = await invoice({ total: 100_000 });
    const schedule = await previewInstalmentSchedule(orm.em.fork(), { invoice: open.id, method: 'equal', count: 3 });
    const amounts = schedule.instalments.map((i) => i.amount);
    expect(sum(amounts)).toBe(100_000);
    expect(amounts.every(Number.isSafeInteger)).toBe(true);
    expect(Math.max(...amounts) - Math.min(...amounts)).toBeLessThanOrEqual(1);
    expect(schedule).toMatchObject({ currency: 'USD', principal: 100_000, total: 100_000, interestTotal: 0 });
  });

  it('with a percentage down payment and seven parts, still to the cent', async () => {
    const open = await invoice({ total: 123_457 });
    const schedule = await previewInstalmentSchedule(orm.em.fork(), { invoice: open.id, method: 'equal', count: 7, down_payment: { percent: '15' } });
    expect(schedule.instalments[0]).toMatchObject({ kind: 'down_payment', amount: 18_519 }); // 15 % of 1234.57 = 185.1855, half-up
    expect(sum(schedule.instalments.map((i) => i.amount))).toBe(123_457);
  });

  it('in yen, a currency without minor units, splits into whole yen', async () => {
    const open = await invoice({ total: 10_000, currency: 'JPY' });
    const schedule = await previewInstalmentSchedule(orm.em.fork(), { invoice: open.id, method: 'equal', count: 3 });
    const amounts = schedule.instalments.map((i) => i.amount);
    expect(schedule.currency).toBe('JPY');
    expect(sum(amounts)).toBe(10_000);
    expect([...amounts].sort()).toEqual([3333, 3333, 3334]);
  });

  it('refuses to schedule an invoice that cannot be split', async () => {
    const paid = await invoice({ total: 10_000, status: 'paid' });
    await expect(previewInstalmentSchedule(orm.em.fork(), { invoice: paid.id, method: 'equal', count: 2 })).rejects.toMatchObject({ code: 'invoice_not_open' });
  });
});
