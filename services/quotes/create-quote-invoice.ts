/**
 * The invoice for an accepted quote's one-time lines, issued once and priced exactly as the quote was
 * (discounts, fees, taxes): charged at once (`charge_now`) or emailed with the quote's payment terms.
 * The quote row, locked, remembers it, so asking again returns the same invoice.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { Customer, Invoice } from '../../db/entities';
import { computeDueDate } from '../../domain/payment-terms';
import type { InvoiceNumberFormat } from '../invoices/invoice-numbering';
import { issueInvoice, priceInvoice } from '../invoices/invoice-records';
import { currentQuoteVersion, lockQuote } from './quote-records';

export async function createQuoteInvoice(orm: MikroORM, numbering: InvoiceNumberFormat, { quoteId, issuedAt }: { quoteId: string; issuedAt: string }): Promise<Invoice> {
  return orm.em.fork().transactional(async (em) => {
    const quote = await lockQuote(em, quoteId);
    if (quote.invoiceId) return em.findOneOrFail(Invoice, { id: quote.invoiceId });
    const customer = await em.findOneOrFail(Customer, { id: quote.customerId });
    const { content } = await currentQuoteVersion(em, quote);
    const chargeNow = content.payment.oneTime === 'charge_now';
    const terms = chargeNow ? 'due_on_receipt' : content.payment.paymentTerms;
    const issued = new Date(issuedAt);
    const priced = priceInvoice({
      currency: content.currency,
      lines: content.lines
        .filter((l) => l.recurring === null)
        .map((l) => ({ description: l.description, priceId: l.priceId, unitAmount: l.unitAmount, quantity: l.quantity })),
      discounts: content.discounts.map(({ couponId: _couponId, ...discount }) => discount),
      fees: content.fees,
      taxRates: content.taxRates.map(({ id: _id, ...rate }) => rate),
    });
    const created = await issueInvoice(
      em,
      numbering,
      {
        customerId: quote.customerId,
        subscriptionId: null,
        periodIndex: null,
        periodStart: null,
        periodEnd: null,
        currency: content.currency,
        collectionMethod: chargeNow ? 'charge_automatically' : 'send_invoice',
        paymentTerms: terms,
        dueDate: computeDueDate(terms, issued, customer.timeZone),
        finalizedAt: issued,
      },
      priced,
    );
    quote.invoiceId = created.id;
    quote.updatedAt = new Date();
    return created;
  });
}
