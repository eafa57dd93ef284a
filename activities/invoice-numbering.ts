import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Takes the next invoice number for `prefix`. Must run inside the transaction that inserts the
 * invoice: the row lock serialises concurrent callers, and a rollback returns the number, so the
 * sequence has no gaps and no duplicates.
 */
export async function takeInvoiceNumber(em: EntityManager, prefix: string): Promise<string> {
  const rows = await em.execute<{ value: string }[]>(
    `insert into invoice_number_sequences (prefix, next_value) values (?, 2)
     on conflict (prefix) do update set next_value = invoice_number_sequences.next_value + 1
     returning next_value - 1 as value`,
    [prefix],
  );
  const value = rows[0]?.value;
  if (value === undefined) throw new Error('invoice number sequence returned no row');
  return `${prefix}${String(value).padStart(6, '0')}`;
}
