import { EntitySchema } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';

/** draft → open → paid, or open → void / uncollectible. */
export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

export class Invoice {
  id!: string;
  /** Human-facing number from the gapless sequence, e.g. INV-000042. */
  number!: string;
  customerId!: string;
  subscriptionId!: string | null;
  /** Billing period index of the subscription; with subscriptionId it makes the invoice unique per period. */
  periodIndex!: number | null;
  periodStart!: Date | null;
  periodEnd!: Date | null;
  status!: InvoiceStatus;
  currency!: string;
  subtotal!: number;
  tax!: number;
  total!: number;
  amountPaid!: number;
  amountDue!: number;
  collectionMethod!: string;
  dueDate!: Date;
  paidAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const InvoiceSchema = new EntitySchema<Invoice>({
  class: Invoice,
  tableName: 'invoices',
  properties: {
    id: { type: 'string', primary: true },
    number: { type: 'string', unique: true },
    customerId: { type: 'string' },
    subscriptionId: { type: 'string', nullable: true },
    periodIndex: { type: 'integer', nullable: true },
    periodStart: timestamptz(true),
    periodEnd: timestamptz(true),
    status: { type: 'string' },
    currency: { type: 'string', length: 3 },
    subtotal: minorUnits(),
    tax: minorUnits(),
    total: minorUnits(),
    amountPaid: minorUnits(),
    amountDue: minorUnits(),
    collectionMethod: { type: 'string' },
    dueDate: timestamptz(),
    paidAt: timestamptz(true),
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
  amount!: number;
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
    periodStart: timestamptz(true),
    periodEnd: timestamptz(true),
    position: { type: 'integer' },
  },
});
