/**
 * The gapless invoice number series against real PostgreSQL: concurrent transactions each take a
 * different number and together leave no gap, each prefix counts on its own, a rolled-back number is
 * given again, and a format that could not print on an invoice is refused.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase, type MikroORM } from '../../../db/orm';
import {
  MAX_INVOICE_NUMBER_PADDING,
  MAX_INVOICE_NUMBER_PREFIX_LENGTH,
  formatInvoiceNumber,
  takeInvoiceNumber,
  validateInvoiceNumberFormat,
  type InvoiceNumberFormat,
} from '../../../services/invoices/invoice-numbering';
import { requireEnv } from '../../support/env';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

const ownSeries = (padding = 4): InvoiceNumberFormat => ({ prefix: `N${randomUUID().slice(0, 8)}-`, padding });
const take = (format: InvoiceNumberFormat) => orm.em.fork().transactional((em) => takeInvoiceNumber(em, format));

describe('takeInvoiceNumber', () => {
  it('gives concurrent transactions distinct numbers with no gap', async () => {
    const series = ownSeries();
    const numbers = await Promise.all(
      Array.from({ length: 20 }, () =>
        orm.em.fork().transactional(async (em) => {
          const number = await takeInvoiceNumber(em, series);
          // Hold the row lock a moment, as a finalize does while it writes the invoice.
          await new Promise((resolve) => setTimeout(resolve, 5));
          return number;
        }),
      ),
    );
    expect([...numbers].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `${series.prefix}${String(i + 1).padStart(4, '0')}`));
  });

  it('counts each prefix on its own, from 1', async () => {
    const [a, b] = [ownSeries(), ownSeries(6)];
    expect(await take(a)).toBe(`${a.prefix}0001`);
    expect(await take(b)).toBe(`${b.prefix}000001`);
    expect(await take(a)).toBe(`${a.prefix}0002`);
  });

  it('gives a number back when its transaction rolls back, even with others committing meanwhile', async () => {
    const series = ownSeries();
    const failed = orm.em.fork().transactional(async (em) => {
      await takeInvoiceNumber(em, series);
      throw new Error('the invoice could not be written');
    });
    await expect(failed).rejects.toThrow('the invoice could not be written');
    expect(await Promise.all([take(series), take(series)]).then((n) => n.sort())).toEqual([`${series.prefix}0001`, `${series.prefix}0002`]);
  });
});

describe('invoice number format', () => {
  it('pads to the width and grows past it', () => {
    expect(formatInvoiceNumber({ prefix: 'INV-', padding: 6 }, 7)).toBe('INV-000007');
    expect(formatInvoiceNumber({ prefix: 'INV-', padding: 2 }, '123')).toBe('INV-123');
  });

  it('accepts printable prefixes up to the limit and paddings within range', () => {
    const longest = { prefix: 'A/'.repeat(MAX_INVOICE_NUMBER_PREFIX_LENGTH / 2), padding: MAX_INVOICE_NUMBER_PADDING };
    expect(validateInvoiceNumberFormat(longest)).toBe(longest);
    expect(validateInvoiceNumberFormat({ prefix: '', padding: 1 })).toEqual({ prefix: '', padding: 1 });
  });

  it('refuses a prefix too long, with a space or a non-ASCII character, and a padding out of range or fractional', () => {
    expect(() => validateInvoiceNumberFormat({ prefix: 'X'.repeat(MAX_INVOICE_NUMBER_PREFIX_LENGTH + 1), padding: 6 })).toThrow(/at most 20 printable/);
    expect(() => validateInvoiceNumberFormat({ prefix: 'INV 2026-', padding: 6 })).toThrow('"INV 2026-"');
    expect(() => validateInvoiceNumberFormat({ prefix: 'FACTÜRE-', padding: 6 })).toThrow('printable ASCII');
    expect(() => validateInvoiceNumberFormat({ prefix: 'INV-', padding: 0 })).toThrow('padding must be an integer from 1 to 12, got 0');
    expect(() => validateInvoiceNumberFormat({ prefix: 'INV-', padding: MAX_INVOICE_NUMBER_PADDING + 1 })).toThrow('got 13');
    expect(() => validateInvoiceNumberFormat({ prefix: 'INV-', padding: 2.5 })).toThrow('got 2.5');
  });
});
