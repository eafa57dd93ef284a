/**
 * Turning computed invoice totals into what an invoice row and its lines store. One-off invoices (the
 * API's drafts) and subscription period invoices (the invoicing activity, and the upcoming-invoice
 * preview) persist discounts, fees, taxes and the per-line shares the same way through these helpers.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Invoice, InvoiceLine, type InvoiceDiscountRecord, type InvoiceFeeRecord, type InvoiceTaxRecord } from '../../db/entities';
import { newId } from '../../db/ids';
import type { PaymentTerms } from '../../domain/payment-terms';
import type { InvoiceNumberFormat } from './invoice-numbering';
import { openInvoice } from './finalize-invoice';
import { computeInvoiceTotals, type DiscountInput, type FeeInput, type InvoiceTotals, type TaxRateInput } from '../../domain/pricing';

export interface PricedLineInput {
  description: string;
  priceId: string | null;
  unitAmount: number;
  quantity: number;
  /** The billing period a subscription line covers; absent on one-off lines. */
  periodStart?: Date | null;
  periodEnd?: Date | null;
}

export interface PricedInvoice<L extends PricedLineInput = PricedLineInput> {
  lines: L[];
  totals: InvoiceTotals;
  discounts: InvoiceDiscountRecord[];
  fees: InvoiceFeeRecord[];
  taxAmounts: InvoiceTaxRecord[];
}

export interface PriceInvoiceInput<L extends PricedLineInput> {
  currency: string;
  lines: L[];
  discounts?: readonly DiscountInput[];
  fees?: readonly FeeInput[];
  taxRates?: readonly TaxRateInput[];
}

/**
 * Computes the totals (domain/pricing.ts) and the records an invoice keeps of each discount, fee and tax.
 * Throws what computeInvoiceTotals throws: PricingError for invalid input, MoneyError for amounts too large.
 */
export function priceInvoice<L extends PricedLineInput>({ currency, lines, discounts = [], fees = [], taxRates = [] }: PriceInvoiceInput<L>): PricedInvoice<L> {
  const totals = computeInvoiceTotals({ currency, lines, discounts, fees, taxRates });
  return {
    lines,
    totals,
    discounts: discounts.map((d, i) => ({
      description: d.description ?? null,
      type: d.type,
      ratePpm: d.type === 'percentage' ? d.ratePpm : null,
      amountOff: d.type === 'fixed_amount' ? d.amount : null,
      amount: totals.discounts[i]!.amount,
    })),
    fees: fees.map((f, i) => ({
      description: f.description,
      type: f.type,
      ratePpm: f.type === 'percentage' ? f.ratePpm : null,
      amount: totals.fees[i]!.amount,
      taxable: f.taxable,
    })),
    taxAmounts: totals.taxes.map((t) => ({ ...t })),
  };
}

/** Copies the totals and the discount, fee and tax records onto the invoice row (amount due = total). */
export function applyTotals(invoice: Invoice, priced: PricedInvoice): void {
  invoice.subtotal = priced.totals.subtotal;
  invoice.discountTotal = priced.totals.discountTotal;
  invoice.feeTotal = priced.totals.feeTotal;
  invoice.tax = priced.totals.taxTotal;
  invoice.total = priced.totals.total;
  invoice.amountDue = priced.totals.total;
  invoice.discounts = priced.discounts;
  invoice.fees = priced.fees;
  invoice.taxAmounts = priced.taxAmounts;
}

/** This line's share of every tax rate, as one amount. */
export const lineTaxAmount = (priced: PricedInvoice, index: number): number => priced.totals.lines[index]!.taxAmounts.reduce((sum, tax) => sum + tax, 0);

/**
 * Creates the invoice's lines with their discount and tax shares (positions from 1). Foreign keys are
 * plain columns, so the caller flushes the invoice row before these.
 */
export function createLines(em: EntityManager, invoiceId: string, priced: PricedInvoice): void {
  priced.lines.forEach((line, i) => {
    const totals = priced.totals.lines[i]!;
    em.create(InvoiceLine, {
      id: newId('invoiceLine'),
      invoiceId,
      description: line.description,
      priceId: line.priceId,
      quantity: line.quantity,
      unitAmount: line.unitAmount,
      amount: totals.amount,
      discountAmount: totals.discountAmount,
      taxAmount: lineTaxAmount(priced, i),
      periodStart: line.periodStart ?? null,
      periodEnd: line.periodEnd ?? null,
      position: i + 1,
    });
  });
}

/** Where an invoice issued by a workflow's activity comes from, and when it is due. */
export interface IssuedInvoiceFields {
  customerId: string;
  subscriptionId: string | null;
  periodIndex: number | null;
  periodStart: Date | null;
  periodEnd: Date | null;
  currency: string;
  collectionMethod: string;
  paymentTerms: PaymentTerms;
  dueDate: Date;
  finalizedAt: Date;
  instalmentPlanId?: string | null;
  instalmentNumber?: number | null;
}

/**
 * Creates an open invoice, numbered from the gapless sequence in the caller's transaction, with the
 * priced totals and lines: a subscription period's, a plan change's proration, an instalment's.
 */
export async function issueInvoice(em: EntityManager, numbering: InvoiceNumberFormat, fields: IssuedInvoiceFields, priced: PricedInvoice): Promise<Invoice> {
  const now = new Date();
  const invoice = em.create(Invoice, {
    id: newId('invoice'),
    number: null,
    status: 'draft',
    subtotal: 0,
    tax: 0,
    total: 0,
    amountPaid: 0,
    amountDue: 0,
    paidAt: null,
    createdAt: now,
    updatedAt: now,
    ...fields,
  });
  await openInvoice(em, invoice, numbering, fields.finalizedAt);
  applyTotals(invoice, priced);
  // Foreign keys are plain columns here, so the invoice row must exist before its lines.
  await em.flush();
  createLines(em, invoice.id, priced);
  return invoice;
}
