/** The request and response shapes of `/v1/invoices`. Invoice and InvoiceSummary are registered once (`$id`). */
import { Type, type Static } from 'typebox';
import { PERCENTAGE_PATTERN } from '../../domain/pricing';
import { PAYMENT_TERMS } from '../../domain/payment-terms';
import { INVOICE_STATUSES } from '../../domain/invoice-status';
import { CurrencyCode, ListQuery, Nullable, Timestamp } from '../schemas';

export const InvoiceStatus = Type.Enum([...INVOICE_STATUSES]);
export const CollectionMethod = Type.Union([Type.Literal('charge_automatically'), Type.Literal('send_invoice')]);
export type CollectionMethod = Static<typeof CollectionMethod>;
export const PaymentTermsSchema = Type.Enum([...PAYMENT_TERMS], {
  description: 'due_on_receipt, net_N (due N days after finalizing, in the customer time zone), or custom (give due_date)',
});
const Percentage = Type.String({ pattern: PERCENTAGE_PATTERN, description: 'Percent as a decimal string, 0 to 100, up to 4 decimals: "20", "8.875"' });
/** Largest amount a field may hold; totals past it are refused with a 422. */
const Amount = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Minor units (cents; yen for JPY)' });

// ---- resources --------------------------------------------------------------------------------

const InvoiceLineResource = Type.Object({
  id: Type.String(),
  description: Type.String(),
  price: Nullable(Type.String()),
  quantity: Type.Integer(),
  unit_amount: Type.Integer(),
  amount: Type.Integer({ description: 'unit_amount × quantity, before discounts' }),
  discount_amount: Type.Integer({ description: "This line's share of the invoice discounts" }),
  tax_amount: Type.Integer({ description: "This line's share of the invoice taxes" }),
  period: Nullable(Type.Object({ start: Timestamp, end: Timestamp })),
});

export const DiscountResource = Type.Object({
  description: Nullable(Type.String()),
  percent_off: Nullable(Type.String()),
  amount_off: Nullable(Type.Integer()),
  amount: Type.Integer({ description: 'What the discount took off (a fixed amount is capped at what was left)' }),
});

export const FeeResource = Type.Object({
  description: Type.String(),
  percentage: Nullable(Type.String({ description: 'Of the discounted subtotal; null for a fixed fee' })),
  amount: Type.Integer(),
  taxable: Type.Boolean(),
});

export const TaxAmountResource = Type.Object({
  display_name: Type.String(),
  percentage: Type.String(),
  inclusive: Type.Boolean(),
  taxable_amount: Type.Integer(),
  amount: Type.Integer(),
});

const InvoiceFields = {
  id: Type.String(),
  object: Type.Literal('invoice'),
  number: Nullable(Type.String({ description: 'Assigned when the invoice is finalized; null for a draft' })),
  customer: Type.String(),
  subscription: Nullable(Type.String()),
  instalment_plan: Nullable(Type.String({ description: 'Set on an instalment of a plan' })),
  instalment_number: Nullable(Type.Integer()),
  replaced_by_instalment_plan: Nullable(Type.String({ description: 'The plan this invoice was split into (the invoice is void)' })),
  status: InvoiceStatus,
  currency: Type.String(),
  subtotal: Type.Integer({ description: 'Sum of the lines before discounts' }),
  discount_total: Type.Integer(),
  fee_total: Type.Integer(),
  tax: Type.Integer({ description: 'All taxes; inclusive ones are already inside subtotal and fees' }),
  total: Type.Integer({ description: 'subtotal − discount_total + fee_total + exclusive taxes' }),
  amount_paid: Type.Integer(),
  amount_due: Type.Integer({ description: 'Still owed: total − amount_paid (0 once void)' }),
  amount_remaining: Type.Integer({ description: 'Same as amount_due, under the name Stripe uses' }),
  amount_refunded: Type.Integer({ description: 'Sum of succeeded refunds; a refunded invoice stays paid' }),
  collection_method: Type.String(),
  payment_terms: Nullable(PaymentTermsSchema),
  period: Nullable(Type.Object({ index: Type.Integer(), start: Timestamp, end: Timestamp })),
  due_date: Nullable(Timestamp),
  discounts: Type.Array(DiscountResource),
  fees: Type.Array(FeeResource),
  tax_amounts: Type.Array(TaxAmountResource),
  memo: Nullable(Type.String()),
  footer: Nullable(Type.String()),
  finalized_at: Nullable(Timestamp),
  paid_at: Nullable(Timestamp),
  voided_at: Nullable(Timestamp),
  marked_uncollectible_at: Nullable(Timestamp),
  attempt_count: Type.Integer({ description: 'Charge attempts so far' }),
  next_payment_attempt: Nullable(Timestamp),
  past_due_at: Nullable(Timestamp),
  hosted_invoice_url: Nullable(
    Type.String({
      description:
        'The page where the customer sees, downloads and pays this invoice without logging in (PUBLIC_URL/invoices/<id>/<token>). ' +
        'It is a credential: share it only with the customer. Null for a draft.',
    }),
  ),
  created_at: Timestamp,
};

export const InvoiceSummaryResource = Type.Object(InvoiceFields, { $id: 'InvoiceSummary' });
export const InvoiceResource = Type.Object({ ...InvoiceFields, lines: Type.Array(InvoiceLineResource) }, { $id: 'Invoice' });

const LineInput = Type.Object(
  {
    price: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Bill one price of the catalog (its unit_amount)' })),
    description: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Free-text line (with unit_amount), or a label for a price' })),
    unit_amount: Type.Optional(Amount),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  },
  { additionalProperties: false, description: 'Either { price } or { description, unit_amount }, with a quantity' },
);

const DiscountInputSchema = Type.Object(
  {
    description: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    percent_off: Type.Optional(Percentage),
    amount_off: Type.Optional(Amount),
  },
  { additionalProperties: false, description: 'Exactly one of percent_off or amount_off; applied in order on what the earlier discounts left' },
);

const FeeInputSchema = Type.Object(
  {
    description: Type.String({ minLength: 1, maxLength: 200 }),
    amount: Type.Optional(Amount),
    percentage: Type.Optional(Percentage),
    taxable: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false, description: 'Exactly one of amount or percentage (of the discounted subtotal)' },
);

const TaxRateInputSchema = Type.Object(
  {
    display_name: Type.String({ minLength: 1, maxLength: 100, examples: ['VAT'] }),
    percentage: Percentage,
    inclusive: Type.Optional(Type.Boolean({ default: false, description: 'True: the amounts already contain this tax' })),
  },
  { additionalProperties: false },
);

const DraftFields = {
  currency: Type.Optional(CurrencyCode),
  collection_method: Type.Optional(
    Type.Union([Type.Literal('charge_automatically'), Type.Literal('send_invoice')], {
      description: 'send_invoice (default): emailed, paid by the customer; charge_automatically: charged to the default payment method',
    }),
  ),
  payment_terms: Type.Optional(PaymentTermsSchema),
  due_date: Type.Optional(Type.String({ format: 'date-time', description: 'With payment_terms=custom (implied when omitted): a future instant' })),
  lines: Type.Array(LineInput, { minItems: 1, maxItems: 100 }),
  discounts: Type.Optional(Type.Array(DiscountInputSchema, { maxItems: 10 })),
  fees: Type.Optional(Type.Array(FeeInputSchema, { maxItems: 10 })),
  tax_rates: Type.Optional(Type.Array(TaxRateInputSchema, { maxItems: 5 })),
  memo: Type.Optional(Type.String({ maxLength: 5000, description: 'Personal message shown on the invoice' })),
  footer: Type.Optional(Type.String({ maxLength: 5000, description: "Replaces the company profile's invoice footer" })),
};

export const CreateInvoice = Type.Object(
  { customer: Type.String({ minLength: 1, maxLength: 64 }), ...DraftFields },
  { additionalProperties: false },
);
export type CreateInvoice = Static<typeof CreateInvoice>;

export const UpdateInvoice = Type.Object(
  {
    ...DraftFields,
    lines: Type.Optional(DraftFields.lines),
    // Null first: with Ajv's type coercion a null tried against the string branch first would become "".
    memo: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 5000 })], { description: 'null removes the memo' })),
    footer: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 5000 })], { description: 'null removes the footer' })),
  },
  { additionalProperties: false, description: 'Fields given replace the draft’s (lines, discounts, fees and tax_rates as whole lists)' },
);
export type UpdateInvoice = Static<typeof UpdateInvoice>;

/** The totals of an invoice not issued yet (a preview, an upcoming invoice), as `pricedTotals` serializes them. */
export const PricedTotalsFields = {
    subtotal: Type.Integer(),
    discount_total: Type.Integer(),
    fee_total: Type.Integer(),
    tax: Type.Integer(),
    total: Type.Integer(),
    amount_due: Type.Integer(),
    discounts: Type.Array(DiscountResource),
    fees: Type.Array(FeeResource),
    tax_amounts: Type.Array(TaxAmountResource),
};

const PreviewLine = Type.Object({
  description: Type.String(),
  price: Nullable(Type.String()),
  quantity: Type.Integer(),
  unit_amount: Type.Integer(),
  amount: Type.Integer(),
  discount_amount: Type.Integer(),
  tax_amount: Type.Integer(),
});

export const InvoicePreview = Type.Object(
  {
    object: Type.Literal('invoice_preview'),
    customer: Type.String(),
    currency: Type.String(),
    collection_method: CollectionMethod,
    payment_terms: PaymentTermsSchema,
    due_date: Timestamp,
    ...PricedTotalsFields,
    lines: Type.Array(PreviewLine),
    memo: Nullable(Type.String()),
  },
  { $id: 'InvoicePreview', description: 'What the invoice would be if finalized now; nothing is saved' },
);

export const DeletedInvoice = Type.Object({ id: Type.String(), object: Type.Literal('invoice'), deleted: Type.Literal(true) });

export const ListInvoicesQuery = Type.Object(
  {
    ...ListQuery,
    status: Type.Optional(InvoiceStatus),
    customer: Type.Optional(Type.String({ maxLength: 64 })),
    subscription: Type.Optional(Type.String({ maxLength: 64 })),
    'due_date[gte]': Type.Optional(Type.String({ format: 'date-time', description: 'Due at or after' })),
    'due_date[lte]': Type.Optional(Type.String({ format: 'date-time', description: 'Due at or before' })),
    'created[gte]': Type.Optional(Type.String({ format: 'date-time' })),
    'created[lte]': Type.Optional(Type.String({ format: 'date-time' })),
    overdue: Type.Optional(Type.Boolean({ description: 'true: open and past its due date; false: everything else' })),
  },
  { additionalProperties: false },
);
