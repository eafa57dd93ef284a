/** Invoices as the API answers them: summaries, with their lines, and a preview nothing was saved for. */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invoice, InvoiceLine, type InvoiceDiscountRecord, type InvoiceFeeRecord, type InvoiceTaxRecord } from '../../db/entities';
import { formatPercentage } from '../../domain/pricing';
import { computeDueDate } from '../../domain/payment-terms';
import { iso } from '../schemas';
import type { NewDraft } from '../../services/invoices/draft-pricing';
import type { PricedInvoice } from '../../services/invoices/invoice-records';
import { hostedInvoiceUrl, type InvoiceLinkSigner } from '../../services/access/invoice-links';

export const discountResource = (d: InvoiceDiscountRecord) => ({
  description: d.description,
  percent_off: d.ratePpm === null ? null : formatPercentage(d.ratePpm),
  amount_off: d.amountOff,
  amount: d.amount,
});
export const feeResource = (f: InvoiceFeeRecord) => ({
  description: f.description,
  percentage: f.ratePpm === null ? null : formatPercentage(f.ratePpm),
  amount: f.amount,
  taxable: f.taxable,
});
export const taxResource = (t: InvoiceTaxRecord) => ({
  display_name: t.displayName,
  percentage: formatPercentage(t.ratePpm),
  inclusive: t.inclusive,
  taxable_amount: t.taxableAmount,
  amount: t.amount,
});

/** `links` signs `hosted_invoice_url` (RouteDeps.invoiceLinks): computed on every read, stored nowhere. */
export function invoiceSummary(i: Invoice, links: InvoiceLinkSigner | null) {
  return {
    id: i.id,
    object: 'invoice' as const,
    number: i.number,
    customer: i.customerId,
    subscription: i.subscriptionId,
    instalment_plan: i.instalmentPlanId ?? null,
    instalment_number: i.instalmentNumber ?? null,
    replaced_by_instalment_plan: i.replacedByPlanId ?? null,
    status: i.status,
    currency: i.currency.toLowerCase(),
    subtotal: i.subtotal,
    discount_total: i.discountTotal ?? 0,
    fee_total: i.feeTotal ?? 0,
    tax: i.tax,
    total: i.total,
    amount_paid: i.amountPaid,
    amount_due: i.amountDue,
    amount_remaining: i.amountDue,
    amount_refunded: i.amountRefunded,
    collection_method: i.collectionMethod,
    payment_terms: i.paymentTerms,
    period:
      i.periodIndex !== null && i.periodStart && i.periodEnd ? { index: i.periodIndex, start: iso(i.periodStart)!, end: iso(i.periodEnd)! } : null,
    due_date: iso(i.dueDate),
    discounts: (i.discounts ?? []).map(discountResource),
    fees: (i.fees ?? []).map(feeResource),
    tax_amounts: (i.taxAmounts ?? []).map(taxResource),
    memo: i.memo ?? null,
    footer: i.footer ?? null,
    finalized_at: iso(i.finalizedAt ?? null),
    paid_at: iso(i.paidAt),
    voided_at: iso(i.voidedAt ?? null),
    marked_uncollectible_at: iso(i.markedUncollectibleAt ?? null),
    attempt_count: i.attemptCount ?? 0,
    next_payment_attempt: iso(i.nextPaymentAttempt),
    past_due_at: iso(i.pastDueAt),
    hosted_invoice_url: hostedInvoiceUrl(links, i),
    created_at: iso(i.createdAt)!,
  };
}

const lineResource = (l: InvoiceLine) => ({
  id: l.id,
  description: l.description,
  price: l.priceId,
  quantity: l.quantity,
  unit_amount: l.unitAmount,
  amount: l.amount,
  discount_amount: l.discountAmount ?? 0,
  tax_amount: l.taxAmount ?? 0,
  period: l.periodStart && l.periodEnd ? { start: iso(l.periodStart)!, end: iso(l.periodEnd)! } : null,
});


/** The invoice resource with its lines, as retrieve answers (also used by the invoice action routes). */
export async function invoiceWithLines(em: EntityManager, invoice: Invoice, links: InvoiceLinkSigner | null) {
  const lines = await em.find(InvoiceLine, { invoiceId: invoice.id }, { orderBy: { position: 'asc' } });
  return { ...invoiceSummary(invoice, links), lines: lines.map(lineResource) };
}

/** The totals of an invoice not issued yet (a preview, an upcoming invoice): nothing is paid, so all of it is due. */
export function pricedTotals(priced: PricedInvoice) {
  const { totals } = priced;
  return {
    subtotal: totals.subtotal,
    discount_total: totals.discountTotal,
    fee_total: totals.feeTotal,
    tax: totals.taxTotal,
    total: totals.total,
    amount_due: totals.total,
    discounts: priced.discounts.map(discountResource),
    fees: priced.fees.map(feeResource),
    tax_amounts: priced.taxAmounts.map(taxResource),
  };
}

/** A priced draft as `POST /v1/invoices/preview` answers it: what it would be if finalized now. */
export function invoicePreview({ customer, currency, collectionMethod, now, terms, priced }: NewDraft, memo: string | undefined) {
  const { totals } = priced;
  return {
    object: 'invoice_preview' as const,
    customer: customer.id,
    currency: currency.toLowerCase(),
    collection_method: collectionMethod,
    payment_terms: terms.paymentTerms,
    due_date: computeDueDate(terms.paymentTerms, now, customer.timeZone, terms.dueDate).toISOString(),
    ...pricedTotals(priced),
    lines: priced.lines.map((line, i) => ({
      description: line.description,
      price: line.priceId,
      quantity: line.quantity,
      unit_amount: line.unitAmount,
      amount: totals.lines[i]!.amount,
      discount_amount: totals.lines[i]!.discountAmount,
      tax_amount: totals.lines[i]!.taxAmounts.reduce((sum, tax) => sum + tax, 0),
    })),
    memo: memo ?? null,
  };
}
