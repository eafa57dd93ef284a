import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Invoice numbers are `prefix` + the sequence number zero-padded to `padding` digits: with prefix
 * "INV-" and padding 6 the first is INV-000001; past 999999 the number simply grows (INV-1000000).
 * Each prefix has its own sequence, so changing the prefix starts a new series at 1.
 */
export interface InvoiceNumberFormat {
  prefix: string;
  padding: number;
}

export const DEFAULT_INVOICE_NUMBER_FORMAT: InvoiceNumberFormat = { prefix: 'INV-', padding: 6 };

/** Longest prefix accepted: invoice numbers must fit on a PDF line and in a Stripe description. */
export const MAX_INVOICE_NUMBER_PREFIX_LENGTH = 20;
export const MAX_INVOICE_NUMBER_PADDING = 12;

export function validateInvoiceNumberFormat(format: InvoiceNumberFormat): InvoiceNumberFormat {
  // Printable, no spaces: the number appears in file names, email subjects and URLs.
  if (format.prefix.length > MAX_INVOICE_NUMBER_PREFIX_LENGTH || !/^[\x21-\x7e]*$/.test(format.prefix)) {
    throw new Error(`Invoice number prefix must be at most ${MAX_INVOICE_NUMBER_PREFIX_LENGTH} printable ASCII characters without spaces, got "${format.prefix}"`);
  }
  if (!Number.isInteger(format.padding) || format.padding < 1 || format.padding > MAX_INVOICE_NUMBER_PADDING) {
    throw new Error(`Invoice number padding must be an integer from 1 to ${MAX_INVOICE_NUMBER_PADDING}, got ${String(format.padding)}`);
  }
  return format;
}

export function formatInvoiceNumber(format: InvoiceNumberFormat, sequence: number | string): string {
  return `${format.prefix}${String(sequence).padStart(format.padding, '0')}`;
}

/**
 * Takes the next invoice number for the format's prefix. Must run inside the transaction that
 * finalizes (or inserts) the invoice: the row lock serialises concurrent callers, and a rollback
 * returns the number, so the sequence has no gaps and no duplicates.
 */
export async function takeInvoiceNumber(em: EntityManager, format: InvoiceNumberFormat): Promise<string> {
  const rows = await em.execute<{ value: string }[]>(
    `insert into invoice_number_sequences (prefix, next_value) values (?, 2)
     on conflict (prefix) do update set next_value = invoice_number_sequences.next_value + 1
     returning next_value - 1 as value`,
    [format.prefix],
  );
  const value = rows[0]?.value;
  if (value === undefined) throw new Error('invoice number sequence returned no row');
  return formatInvoiceNumber(format, value);
}
