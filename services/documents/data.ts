/**
 * What the documents show, read from the database into plain values. The layouts take these, not
 * entities, so they can be rendered from any source (a preview, a test) and stay independent of how
 * the invoice model stores its discounts, fees and taxes.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, Invoice, InvoiceLine, Payment, type BillingAddress } from '../../db/entities';
import { formatPercentage } from '../../domain/pricing';
import type { PaymentTerms } from '../../domain/payment-terms';
import { addressLines } from './brand';

export interface DocumentParty {
  name: string;
  email: string | null;
  addressLines: string[];
  taxId: string | null;
}

export interface DocumentLine {
  description: string;
  quantity: number;
  unitAmount: number;
  amount: number;
  periodStart: Date | null;
  periodEnd: Date | null;
}

/** A discount (negative effect), fee or tax shown between the subtotal and the total. */
export interface DocumentAdjustment {
  kind: 'discount' | 'fee' | 'tax';
  label: string;
  /** Positive minor units; a discount is subtracted. */
  amount: number;
  /** Inclusive taxes are already inside the amounts: shown for information, not added again. */
  inclusive?: boolean;
}

export interface InvoiceDocumentData {
  /** Null for a draft that has no number yet. */
  number: string | null;
  status: string;
  currency: string;
  /** When the invoice was issued (finalized), or created for a draft. */
  issuedAt: Date;
  dueDate: Date | null;
  paidAt: Date | null;
  periodStart: Date | null;
  periodEnd: Date | null;
  /** The customer's IANA zone: dates print on the customer's calendar. */
  timeZone: string;
  paymentTerms: string | null;
  memo: string | null;
  /** This invoice's own footer, printed instead of the company profile's. */
  footer: string | null;
  customer: DocumentParty;
  lines: DocumentLine[];
  subtotal: number;
  adjustments: DocumentAdjustment[];
  /** Every tax; shown as one line when the invoice carries no per-rate breakdown. */
  tax: number;
  total: number;
  amountPaid: number;
  amountRefunded: number;
  amountDue: number;
}

export interface ReceiptDocumentData {
  paymentId: string;
  reference: string | null;
  paidAt: Date;
  amount: number;
  currency: string;
  paymentMethod: string;
  timeZone: string;
  customer: DocumentParty;
  invoice: { number: string | null; total: number; amountPaid: number; amountDue: number; periodStart: Date | null; periodEnd: Date | null };
}

const str = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value : null);
const date = (value: Date | null | undefined): Date | null => (value instanceof Date && !Number.isNaN(value.getTime()) ? value : null);

const TERMS: Record<PaymentTerms, string> = {
  due_on_receipt: 'Due on receipt',
  net_7: 'Net 7',
  net_15: 'Net 15',
  net_30: 'Net 30',
  net_45: 'Net 45',
  net_60: 'Net 60',
  net_90: 'Net 90',
  custom: 'Due by the date shown',
};

/** "Loyalty (10%)": the rate is added unless the description already gives it. */
function withRate(name: string, ratePpm: number | null): string {
  if (ratePpm === null || name.includes('%')) return name;
  return `${name} (${formatPercentage(ratePpm)}%)`;
}

/** Discounts, fees and taxes in the order the totals apply them; rows written before they existed have none. */
function adjustmentsOf(invoice: Invoice): DocumentAdjustment[] {
  const out: DocumentAdjustment[] = [];
  for (const d of invoice.discounts ?? []) {
    if (d.amount !== 0) out.push({ kind: 'discount', label: withRate(str(d.description) ?? 'Discount', d.ratePpm), amount: d.amount });
  }
  for (const f of invoice.fees ?? []) {
    if (f.amount !== 0) out.push({ kind: 'fee', label: withRate(str(f.description) ?? 'Fee', f.ratePpm), amount: f.amount });
  }
  for (const t of invoice.taxAmounts ?? []) {
    const label = `${t.inclusive ? 'Includes ' : ''}${str(t.displayName) ?? 'Tax'} ${formatPercentage(t.ratePpm)}%`;
    out.push({ kind: 'tax', label, amount: t.amount, inclusive: t.inclusive });
  }
  return out;
}

function party(customer: Customer): DocumentParty {
  return {
    name: customer.name,
    email: customer.email,
    addressLines: addressLines(customer.billingAddress as BillingAddress | null),
    // Customers have no tax id field yet; the layouts print one when a source provides it.
    taxId: null,
  };
}

export function invoiceDocumentData(invoice: Invoice, lines: InvoiceLine[], customer: Customer): InvoiceDocumentData {
  return {
    number: str(invoice.number),
    status: invoice.status,
    currency: invoice.currency.toUpperCase(),
    issuedAt: date(invoice.finalizedAt) ?? invoice.createdAt,
    dueDate: date(invoice.dueDate),
    paidAt: date(invoice.paidAt),
    periodStart: date(invoice.periodStart),
    periodEnd: date(invoice.periodEnd),
    timeZone: customer.timeZone,
    paymentTerms: invoice.paymentTerms ? (TERMS[invoice.paymentTerms] ?? invoice.paymentTerms) : null,
    memo: str(invoice.memo),
    footer: str(invoice.footer),
    customer: party(customer),
    lines: [...lines]
      .sort((a, b) => a.position - b.position)
      .map((l) => ({
        description: l.description,
        quantity: l.quantity,
        unitAmount: l.unitAmount,
        amount: l.amount,
        periodStart: date(l.periodStart),
        periodEnd: date(l.periodEnd),
      })),
    subtotal: invoice.subtotal,
    adjustments: adjustmentsOf(invoice),
    tax: invoice.tax,
    total: invoice.total,
    amountPaid: invoice.amountPaid,
    amountRefunded: invoice.amountRefunded ?? 0,
    amountDue: invoice.amountDue,
  };
}

export async function loadInvoiceDocumentData(em: EntityManager, invoiceId: string): Promise<InvoiceDocumentData | null> {
  const invoice = await em.findOne(Invoice, { id: invoiceId });
  if (!invoice) return null;
  const [lines, customer] = await Promise.all([
    em.find(InvoiceLine, { invoiceId: invoice.id }, { orderBy: { position: 'asc' } }),
    em.findOneOrFail(Customer, { id: invoice.customerId }),
  ]);
  return invoiceDocumentData(invoice, lines, customer);
}

export type ReceiptLookup = { found: false } | { found: true; payment: Payment; data: ReceiptDocumentData | null };

/** The receipt for a payment; `data` is null while the payment has not succeeded (no receipt exists). */
export async function loadReceiptDocumentData(em: EntityManager, paymentId: string): Promise<ReceiptLookup> {
  const payment = await em.findOne(Payment, { id: paymentId });
  if (!payment) return { found: false };
  if (payment.status !== 'succeeded') return { found: true, payment, data: null };
  const invoice = await em.findOneOrFail(Invoice, { id: payment.invoiceId });
  const customer = await em.findOneOrFail(Customer, { id: payment.customerId });
  return {
    found: true,
    payment,
    data: {
      paymentId: payment.id,
      reference: str(payment.reference),
      paidAt: payment.completedAt ?? payment.createdAt,
      amount: payment.amount,
      currency: payment.currency.toUpperCase(),
      paymentMethod: payment.paymentMethod,
      timeZone: customer.timeZone,
      customer: party(customer),
      invoice: {
        number: str(invoice.number),
        total: invoice.total,
        amountPaid: invoice.amountPaid,
        amountDue: invoice.amountDue,
        periodStart: date(invoice.periodStart),
        periodEnd: date(invoice.periodEnd),
      },
    },
  };
}
