/**
 * Finalizing a draft invoice against real PostgreSQL: it takes the next number of its series, falls
 * due by its payment terms in the customer's calendar, comes back paid when there is nothing to
 * collect, and a non-draft is refused before any number is taken.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase, type MikroORM } from '../../../db/orm';
import { Invoice } from '../../../db/entities';
import { newId } from '../../../db/ids';
import type { InvoiceStatus } from '../../../domain/invoice-status';
import type { PaymentTerms } from '../../../domain/payment-terms';
import { RuleViolation } from '../../../domain/rule-violation';
import { finalizeDraftInvoice } from '../../../services/invoices/finalize-invoice';
import { takeInvoiceNumber, type InvoiceNumberFormat } from '../../../services/invoices/invoice-numbering';
import { requireEnv } from '../../support/env';
import { createCustomer } from '../../support/fixtures';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

/** A series of its own, so numbers do not depend on other tests sharing the database. */
const ownSeries = (): InvoiceNumberFormat => ({ prefix: `F${randomUUID().slice(0, 8)}-`, padding: 4 });

async function draft({ total = 12_000, amountPaid = 0, status = 'draft' as InvoiceStatus, dueDate = null as Date | null } = {}): Promise<Invoice> {
  // Past the draft stage an invoice has its number and due date (table constraints).
  const finalized = status !== 'draft';
  const customer = await createCustomer(orm, { email: `finalize-${randomUUID()}@example.com`, timeZone: 'America/New_York' });
  const em = orm.em.fork();
  const created = new Date('2026-03-01T00:00:00Z');
  const invoice = em.create(Invoice, {
    id: newId('invoice'),
    number: finalized ? `OLD-${randomUUID()}` : null,
    customerId: customer.id,
    subscriptionId: null,
    periodIndex: null,
    periodStart: null,
    periodEnd: null,
    status,
    currency: 'USD',
    subtotal: total,
    tax: 0,
    total,
    amountPaid,
    amountDue: total - amountPaid,
    collectionMethod: 'send_invoice',
    paymentTerms: null,
    dueDate: finalized ? created : dueDate,
    memo: null,
    footer: null,
    finalizedAt: finalized ? created : null,
    voidedAt: null,
    markedUncollectibleAt: null,
    paidAt: null,
    nextPaymentAttempt: null,
    pastDueAt: null,
    createdAt: created,
    updatedAt: created,
  });
  await em.flush();
  return invoice;
}

/** Finalizes the stored draft in one transaction, as the finalize route does, and reads it back. */
async function finalize(id: string, numbering: InvoiceNumberFormat, paymentTerms: PaymentTerms, now: Date, timeZone = 'America/New_York'): Promise<Invoice> {
  await orm.em.fork().transactional(async (em) => {
    const invoice = await em.findOneOrFail(Invoice, { id });
    await finalizeDraftInvoice(em, invoice, numbering, { paymentTerms, timeZone, now });
  });
  return orm.em.fork().findOneOrFail(Invoice, { id });
}

describe('finalizeDraftInvoice', () => {
  it('numbers drafts in turn from their series and opens them owing what is unpaid', async () => {
    const series = ownSeries();
    const now = new Date('2026-03-02T15:00:00Z');
    const first = await finalize((await draft()).id, series, 'due_on_receipt', now);
    const second = await finalize((await draft({ total: 5000, amountPaid: 1500 })).id, series, 'due_on_receipt', now);
    expect([first.number, second.number]).toEqual([`${series.prefix}0001`, `${series.prefix}0002`]);
    expect(first).toMatchObject({ status: 'open', finalizedAt: now, paymentTerms: 'due_on_receipt', dueDate: now, amountDue: 12_000, paidAt: null });
    expect(second).toMatchObject({ status: 'open', amountDue: 3500 });
  });

  it('makes net terms due N days later at the same local time in the customer zone, across daylight saving', async () => {
    // New York moves to summer time on 8 March 2026: 10:00 local is 15:00 UTC before and 14:00 UTC after.
    const now = new Date('2026-03-02T15:00:00Z');
    const net30 = await finalize((await draft()).id, ownSeries(), 'net_30', now);
    expect(net30.dueDate?.toISOString()).toBe('2026-04-01T14:00:00.000Z');
    const net7 = await finalize((await draft()).id, ownSeries(), 'net_7', now, 'UTC');
    expect(net7.dueDate?.toISOString()).toBe('2026-03-09T15:00:00.000Z');
  });

  it('keeps the due date of custom terms', async () => {
    const due = new Date('2026-05-15T12:00:00Z');
    const custom = await finalize((await draft({ dueDate: due })).id, ownSeries(), 'custom', new Date('2026-03-02T15:00:00Z'));
    expect(custom).toMatchObject({ status: 'open', paymentTerms: 'custom', dueDate: due });
  });

  it('marks a zero-total invoice paid at once, numbered, with nothing due', async () => {
    const series = ownSeries();
    const now = new Date('2026-03-02T15:00:00Z');
    const free = await finalize((await draft({ total: 0 })).id, series, 'net_30', now);
    expect(free).toMatchObject({ number: `${series.prefix}0001`, status: 'paid', paidAt: now, finalizedAt: now, amountDue: 0 });
  });

  it('refuses an invoice that is not a draft, taking no number for it', async () => {
    const series = ownSeries();
    for (const status of ['open', 'paid', 'void', 'uncollectible'] as const) {
      const invoice = await draft({ status });
      const err = await finalize(invoice.id, series, 'net_30', new Date()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RuleViolation);
      expect(err).toMatchObject({ code: 'invalid_invoice_transition', message: expect.stringContaining(`Invoice ${invoice.id} is ${status}; it cannot become open`) });
      expect(await orm.em.fork().findOneOrFail(Invoice, { id: invoice.id })).toMatchObject({ status, number: invoice.number, finalizedAt: invoice.finalizedAt });
    }
    // The refusals took nothing from the series.
    expect(await orm.em.fork().transactional((em) => takeInvoiceNumber(em, series))).toBe(`${series.prefix}0001`);
  });
});
