/**
 * Finalizing an invoice, the one way an invoice becomes open: its number from the gapless sequence in
 * the caller's transaction, then open from the moment given. A workflow's activity issues its invoices
 * open at once (`issueInvoice`); a draft made through the API is finalized later (`finalizeDraftInvoice`).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Invoice } from '../../db/entities';
import { assertInvoiceTransition } from '../../domain/invoice-status';
import { computeDueDate, type PaymentTerms } from '../../domain/payment-terms';
import { takeInvoiceNumber, type InvoiceNumberFormat } from './invoice-numbering';

/** Numbers `invoice` and opens it as of `finalizedAt`; the caller flushes in its transaction. */
export async function openInvoice(em: EntityManager, invoice: Invoice, numbering: InvoiceNumberFormat, finalizedAt: Date): Promise<void> {
  invoice.number = await takeInvoiceNumber(em, numbering);
  invoice.status = 'open';
  invoice.finalizedAt = finalizedAt;
}

/**
 * Finalizes a draft (draft → open; anything else is refused before a number is taken) at `now`: numbered, due by `paymentTerms` in
 * the customer's time zone (a custom due date is kept), owing what is not paid yet. A zero total is paid
 * at once, as at Stripe: there is nothing to collect, so the caller starts no collection for it.
 */
export async function finalizeDraftInvoice(
  em: EntityManager,
  invoice: Invoice,
  numbering: InvoiceNumberFormat,
  { paymentTerms, timeZone, now }: { paymentTerms: PaymentTerms; timeZone: string; now: Date },
): Promise<void> {
  // Refused here as well as by the caller: a paid or void invoice must never be renumbered and reopened.
  assertInvoiceTransition(invoice.status, 'open', invoice.id);
  await openInvoice(em, invoice, numbering, now);
  invoice.paymentTerms = paymentTerms;
  invoice.dueDate = computeDueDate(paymentTerms, now, timeZone, invoice.dueDate);
  invoice.amountDue = invoice.total - invoice.amountPaid;
  invoice.updatedAt = now;
  if (invoice.total === 0) {
    assertInvoiceTransition('open', 'paid', invoice.id);
    invoice.status = 'paid';
    invoice.paidAt = now;
    invoice.amountDue = 0;
  }
}
