import { EntitySchema, type Opt } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';

import type { InvoiceStatus } from '../../domain/invoice-status';
import type { PaymentTerms } from '../../domain/payment-terms';

/** Lifecycle and allowed transitions: domain/invoice-status.ts. */
export type { InvoiceStatus };

/** One discount as applied to the invoice (amounts in minor units). */
export interface InvoiceDiscountRecord {
  description: string | null;
  type: 'percentage' | 'fixed_amount';
  /** Millionths for a percentage (10 % = 100000), null for a fixed amount. */
  ratePpm: number | null;
  /** The fixed amount asked for; null for a percentage. */
  amountOff: number | null;
  /** What it actually took off (a fixed amount is capped at what was left). */
  amount: number;
}

export interface InvoiceFeeRecord {
  description: string;
  type: 'percentage' | 'fixed_amount';
  ratePpm: number | null;
  amount: number;
  taxable: boolean;
}

export interface InvoiceTaxRecord {
  displayName: string;
  /** Millionths of the taxable amount: 8.875 % = 88750. */
  ratePpm: number;
  inclusive: boolean;
  taxableAmount: number;
  amount: number;
}

export class Invoice {
  id!: string;
  /** Human-facing number from the gapless sequence, e.g. INV-000042; null while a draft. */
  number!: string | null;
  customerId!: string;
  subscriptionId!: string | null;
  /** Billing period index of the subscription; with subscriptionId it makes the invoice unique per period. */
  periodIndex!: number | null;
  periodStart!: Date | null;
  periodEnd!: Date | null;
  status!: InvoiceStatus;
  currency!: string;
  /** Sum of the lines before discounts. */
  subtotal!: number;
  discountTotal!: Opt<number>;
  feeTotal!: Opt<number>;
  /** Every tax, inclusive ones included (they are already inside the subtotal). */
  tax!: number;
  /** subtotal − discountTotal + feeTotal + exclusive taxes. */
  total!: number;
  discounts!: Opt<InvoiceDiscountRecord[]>;
  fees!: Opt<InvoiceFeeRecord[]>;
  taxAmounts!: Opt<InvoiceTaxRecord[]>;
  amountPaid!: number;
  /** What is still owed: total − amountPaid while open (Stripe's amount_remaining); 0 once void. */
  amountDue!: number;
  /** Sum of succeeded refunds of this invoice's payments; the invoice stays paid, as at Stripe. */
  amountRefunded!: Opt<number>;
  collectionMethod!: string;
  /** Null on subscription invoices created before payment terms existed. */
  paymentTerms!: PaymentTerms | null;
  /** Set when finalized (from the terms); a draft has one only with custom terms. */
  dueDate!: Date | null;
  /** Personal message shown on the invoice and its email. */
  memo!: string | null;
  /** Replaces the company profile's invoice footer on this invoice. */
  footer!: string | null;
  finalizedAt!: Date | null;
  voidedAt!: Date | null;
  markedUncollectibleAt!: Date | null;
  paidAt!: Date | null;
  /** Charge attempts so far, next scheduled retry, and when dunning gave up (set by the collection workflow). */
  attemptCount!: Opt<number>;
  nextPaymentAttempt!: Date | null;
  pastDueAt!: Date | null;
  /** Set on an instalment's invoice: the plan and the instalment's number (unique together). */
  instalmentPlanId!: Opt<string | null>;
  instalmentNumber!: Opt<number | null>;
  /** Set on an invoice that was split into an instalment plan (and voided). */
  replacedByPlanId!: Opt<string | null>;
  createdAt!: Date;
  updatedAt!: Date;
}

export const InvoiceSchema = new EntitySchema<Invoice>({
  class: Invoice,
  tableName: 'invoices',
  properties: {
    id: { type: 'string', primary: true },
    number: { type: 'string', unique: true, nullable: true },
    customerId: { type: 'string' },
    subscriptionId: { type: 'string', nullable: true },
    periodIndex: { type: 'integer', nullable: true },
    periodStart: timestamptz(true),
    periodEnd: timestamptz(true),
    status: { type: 'string' },
    currency: { type: 'string', length: 3 },
    subtotal: minorUnits(),
    discountTotal: { ...minorUnits(), default: 0 },
    feeTotal: { ...minorUnits(), default: 0 },
    tax: minorUnits(),
    total: minorUnits(),
    discounts: { type: 'json', default: '[]' },
    fees: { type: 'json', default: '[]' },
    taxAmounts: { type: 'json', default: '[]' },
    amountPaid: minorUnits(),
    amountDue: minorUnits(),
    amountRefunded: { ...minorUnits(), default: 0 },
    collectionMethod: { type: 'string' },
    paymentTerms: { type: 'string', nullable: true },
    dueDate: timestamptz(true),
    memo: { type: 'text', nullable: true },
    footer: { type: 'text', nullable: true },
    finalizedAt: timestamptz(true),
    voidedAt: timestamptz(true),
    markedUncollectibleAt: timestamptz(true),
    paidAt: timestamptz(true),
    attemptCount: { type: 'integer', default: 0 },
    nextPaymentAttempt: timestamptz(true),
    pastDueAt: timestamptz(true),
    instalmentPlanId: { type: 'string', nullable: true },
    instalmentNumber: { type: 'integer', nullable: true },
    replacedByPlanId: { type: 'string', nullable: true },
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});

export class InvoiceLine {
  id!: string;
  invoiceId!: string;
  description!: string;
  priceId!: string | null;
  quantity!: number;
  unitAmount!: number;
  /** unitAmount × quantity, before discounts. */
  amount!: number;
  /** This line's share of the invoice's discounts. */
  discountAmount!: Opt<number>;
  /** This line's share of the invoice's taxes (all rates). */
  taxAmount!: Opt<number>;
  periodStart!: Date | null;
  periodEnd!: Date | null;
  position!: number;
}

export const InvoiceLineSchema = new EntitySchema<InvoiceLine>({
  class: InvoiceLine,
  tableName: 'invoice_lines',
  properties: {
    id: { type: 'string', primary: true },
    invoiceId: { type: 'string' },
    description: { type: 'string' },
    priceId: { type: 'string', nullable: true },
    quantity: { type: 'integer' },
    unitAmount: minorUnits(),
    amount: minorUnits(),
    discountAmount: { ...minorUnits(), default: 0 },
    taxAmount: { ...minorUnits(), default: 0 },
    periodStart: timestamptz(true),
    periodEnd: timestamptz(true),
    position: { type: 'integer' },
  },
});
