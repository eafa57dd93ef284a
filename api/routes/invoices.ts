import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  Customer,
  Invoice,
  InvoiceLine,
  Price,
  Product,
  type InvoiceDiscountRecord,
  type InvoiceFeeRecord,
  type InvoiceTaxRecord,
} from '../../db/entities';
import { newId } from '../../db/ids';
import { MoneyError } from '../../domain/money';
import {
  PERCENTAGE_PATTERN,
  PricingError,
  formatPercentage,
  parsePercentage,
  type DiscountInput,
  type FeeInput,
  type TaxRateInput,
} from '../../domain/pricing';
import { PAYMENT_TERMS, computeDueDate, defaultPaymentTerms, type PaymentTerms } from '../../domain/payment-terms';
import { INVOICE_STATUSES, assertInvoiceTransition } from '../../domain/invoice-status';
import type { InvoiceNumberFormat } from '../../services/invoices/invoice-numbering';
import { finalizeDraftInvoice } from '../../services/invoices/finalize-invoice';
import { invoiceCollectionWorkflowId } from '../../workflows/invoice-collection/contract';
import { startInvoiceCollection } from '../../services/invoices/start-invoice-collection';
import { applyTotals, createLines, priceInvoice, type PricedInvoice } from '../../services/invoices/invoice-records';
import { ErrorSchema, conflict, invalidParam, missingReference, notFound, unprocessable } from '../errors';
import { CurrencyCode, IdParams, ListQuery, Nullable, Timestamp, definedOnly, iso, listOf, paginate } from '../schemas';
import { workflowCallError } from '../workflow-errors';

const InvoiceStatus = Type.Enum([...INVOICE_STATUSES]);
const CollectionMethod = Type.Union([Type.Literal('charge_automatically'), Type.Literal('send_invoice')]);
type CollectionMethod = Static<typeof CollectionMethod>;
const PaymentTermsSchema = Type.Enum([...PAYMENT_TERMS], {
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
  created_at: Timestamp,
};

export const InvoiceSummaryResource = Type.Object(InvoiceFields, { $id: 'InvoiceSummary' });
export const InvoiceResource = Type.Object({ ...InvoiceFields, lines: Type.Array(InvoiceLineResource) }, { $id: 'Invoice' });

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

export function invoiceSummary(i: Invoice) {
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

// ---- request bodies -----------------------------------------------------------------------------

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

const CreateInvoice = Type.Object(
  { customer: Type.String({ minLength: 1, maxLength: 64 }), ...DraftFields },
  { additionalProperties: false },
);
type CreateInvoice = Static<typeof CreateInvoice>;

const UpdateInvoice = Type.Object(
  {
    ...DraftFields,
    lines: Type.Optional(DraftFields.lines),
    // Null first: with Ajv's type coercion a null tried against the string branch first would become "".
    memo: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 5000 })], { description: 'null removes the memo' })),
    footer: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 5000 })], { description: 'null removes the footer' })),
  },
  { additionalProperties: false, description: 'Fields given replace the draft’s (lines, discounts, fees and tax_rates as whole lists)' },
);
type UpdateInvoice = Static<typeof UpdateInvoice>;

const PreviewLine = Type.Object({
  description: Type.String(),
  price: Nullable(Type.String()),
  quantity: Type.Integer(),
  unit_amount: Type.Integer(),
  amount: Type.Integer(),
  discount_amount: Type.Integer(),
  tax_amount: Type.Integer(),
});

const InvoicePreview = Type.Object(
  {
    object: Type.Literal('invoice_preview'),
    customer: Type.String(),
    currency: Type.String(),
    collection_method: CollectionMethod,
    payment_terms: PaymentTermsSchema,
    due_date: Timestamp,
    subtotal: Type.Integer(),
    discount_total: Type.Integer(),
    fee_total: Type.Integer(),
    tax: Type.Integer(),
    total: Type.Integer(),
    amount_due: Type.Integer(),
    discounts: Type.Array(DiscountResource),
    fees: Type.Array(FeeResource),
    tax_amounts: Type.Array(TaxAmountResource),
    lines: Type.Array(PreviewLine),
    memo: Nullable(Type.String()),
  },
  { $id: 'InvoicePreview', description: 'What the invoice would be if finalized now; nothing is saved' },
);

const DeletedInvoice = Type.Object({ id: Type.String(), object: Type.Literal('invoice'), deleted: Type.Literal(true) });

const ListInvoicesQuery = Type.Object(
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

// ---- turning a request into priced lines ---------------------------------------------------------------

type DraftInput = Omit<CreateInvoice, 'customer' | 'currency' | 'collection_method' | 'payment_terms' | 'due_date' | 'memo' | 'footer'>;

interface ResolvedLine {
  description: string;
  priceId: string | null;
  unitAmount: number;
  quantity: number;
}

/** Persisted by the helpers in services/invoices/invoice-records.ts, which subscription invoices share. */
type PricedDraft = PricedInvoice<ResolvedLine>;

async function resolveLines(em: EntityManager, lines: CreateInvoice['lines'], currency: string): Promise<ResolvedLine[]> {
  const priceIds = [...new Set(lines.flatMap((l) => (l.price === undefined ? [] : [l.price])))];
  const prices = new Map((priceIds.length ? await em.find(Price, { id: { $in: priceIds } }) : []).map((p) => [p.id, p]));
  const productIds = [...new Set([...prices.values()].map((p) => p.productId))];
  const products = new Map((productIds.length ? await em.find(Product, { id: { $in: productIds } }) : []).map((p) => [p.id, p]));

  return lines.map((line, i) => {
    const param = (field: string) => `lines[${i}][${field}]`;
    const quantity = line.quantity ?? 1;
    if (line.price !== undefined) {
      if (line.unit_amount !== undefined) throw invalidParam(param('unit_amount'), `Give ${param('price')} or ${param('unit_amount')}, not both.`);
      const price = prices.get(line.price);
      if (!price) throw missingReference(param('price'), 'price', line.price);
      if (!price.active) throw unprocessable(param('price'), 'price_inactive', `Price ${price.id} is not active.`);
      if (price.currency !== currency) {
        throw unprocessable(
          param('price'),
          'currency_mismatch',
          `Price ${price.id} is in ${price.currency.toLowerCase()} but the invoice is in ${currency.toLowerCase()}.`,
        );
      }
      const product = products.get(price.productId);
      const label = `${product?.name ?? price.id}${price.nickname ? ` (${price.nickname})` : ''}`;
      return { description: line.description ?? label, priceId: price.id, unitAmount: price.unitAmount, quantity };
    }
    if (line.unit_amount === undefined) {
      throw invalidParam(param('price'), `Each line needs a price, or a description and a unit_amount (${param('price')}).`, 'parameter_missing');
    }
    if (line.description === undefined) {
      throw invalidParam(param('description'), `A line without a price needs a description (${param('description')}).`, 'parameter_missing');
    }
    return { description: line.description, priceId: null, unitAmount: line.unit_amount, quantity };
  });
}

function discountInputs(discounts: NonNullable<CreateInvoice['discounts']>): DiscountInput[] {
  return discounts.map((d, i) => {
    const has = [d.percent_off !== undefined, d.amount_off !== undefined].filter(Boolean).length;
    if (has !== 1) throw invalidParam(`discounts[${i}]`, `discounts[${i}] needs exactly one of percent_off or amount_off.`);
    const description = d.description ?? null;
    return d.percent_off !== undefined
      ? { type: 'percentage', ratePpm: parsePercentage(d.percent_off, `discounts[${i}][percent_off]`), description }
      : { type: 'fixed_amount', amount: d.amount_off!, description };
  });
}

function feeInputs(fees: NonNullable<CreateInvoice['fees']>): FeeInput[] {
  return fees.map((f, i) => {
    const has = [f.percentage !== undefined, f.amount !== undefined].filter(Boolean).length;
    if (has !== 1) throw invalidParam(`fees[${i}]`, `fees[${i}] needs exactly one of amount or percentage.`);
    const taxable = f.taxable ?? false;
    return f.percentage !== undefined
      ? { type: 'percentage', ratePpm: parsePercentage(f.percentage, `fees[${i}][percentage]`), taxable, description: f.description }
      : { type: 'fixed_amount', amount: f.amount!, taxable, description: f.description };
  });
}

function taxRateInputs(rates: NonNullable<CreateInvoice['tax_rates']>): TaxRateInput[] {
  return rates.map((r, i) => ({
    displayName: r.display_name,
    ratePpm: parsePercentage(r.percentage, `tax_rates[${i}][percentage]`),
    inclusive: r.inclusive ?? false,
  }));
}

/**
 * Prices the draft: 400 naming the field for invalid input, 422 when an amount is beyond what an invoice
 * can hold. `keptLines` (an update that leaves the lines alone) are priced as they are, not re-read.
 */
async function priceDraft(em: EntityManager, input: DraftInput, currency: string, keptLines?: ResolvedLine[]): Promise<PricedDraft> {
  try {
    const lines = keptLines ?? (await resolveLines(em, input.lines, currency));
    const discounts = discountInputs(input.discounts ?? []);
    const fees = feeInputs(input.fees ?? []);
    const taxRates = taxRateInputs(input.tax_rates ?? []);
    return priceInvoice({ currency, lines, discounts, fees, taxRates });
  } catch (err) {
    if (err instanceof PricingError) throw invalidParam(err.param, err.message);
    if (err instanceof MoneyError) throw unprocessable(undefined, 'amount_too_large', `The invoice amounts are too large: ${err.message}.`);
    throw err;
  }
}

/** A date-time the schema accepted but JavaScript cannot represent (a leap second, say) is still a 400, never a 500. */
function instant(param: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw invalidParam(param, `${param} is not a valid ISO 8601 instant.`);
  return date;
}

/** Payment terms and (custom) due date of a draft. */
function resolveTerms(
  terms: PaymentTerms | undefined,
  dueDate: string | undefined,
  collectionMethod: CollectionMethod,
  now: Date,
): { paymentTerms: PaymentTerms; dueDate: Date | null } {
  if (dueDate !== undefined) {
    if (terms !== undefined && terms !== 'custom') throw invalidParam('due_date', `due_date goes with payment_terms=custom, not ${terms}.`);
    const due = instant('due_date', dueDate);
    if (due.getTime() <= now.getTime()) throw invalidParam('due_date', 'due_date must be in the future.');
    return { paymentTerms: 'custom', dueDate: due };
  }
  if (terms === 'custom') throw invalidParam('due_date', 'payment_terms=custom needs a due_date.', 'parameter_missing');
  return { paymentTerms: terms ?? defaultPaymentTerms(collectionMethod), dueDate: null };
}

function resolveCurrency(customer: Customer, requested: string | undefined): string {
  if (requested === undefined) return customer.currency;
  const currency = requested.toUpperCase();
  if (currency !== customer.currency) {
    throw unprocessable(
      'currency',
      'currency_mismatch',
      `Customer ${customer.id} is billed in ${customer.currency.toLowerCase()}; an invoice in ${currency.toLowerCase()} cannot be created.`,
    );
  }
  return currency;
}

/** What creating and previewing a draft share: the customer, currency, terms and exact totals of the body. */
async function priceNewDraft(em: EntityManager, body: CreateInvoice) {
  const customer = await em.findOne(Customer, { id: body.customer });
  if (!customer) throw missingReference('customer', 'customer', body.customer);
  const currency = resolveCurrency(customer, body.currency);
  const collectionMethod = body.collection_method ?? 'send_invoice';
  const now = new Date();
  const terms = resolveTerms(body.payment_terms, body.due_date, collectionMethod, now);
  const priced = await priceDraft(em, body, currency);
  return { customer, currency, collectionMethod, now, terms, priced };
}

/** The invoice resource with its lines, as retrieve answers (also used by the invoice action routes). */
export async function invoiceWithLines(em: EntityManager, invoice: Invoice) {
  const lines = await em.find(InvoiceLine, { invoiceId: invoice.id }, { orderBy: { position: 'asc' } });
  return { ...invoiceSummary(invoice), lines: lines.map(lineResource) };
}

const notDraft = (invoice: Invoice) => conflict('invoice_not_draft', `Invoice ${invoice.id} is ${invoice.status}; only a draft can be changed or deleted.`);

// ---- routes -------------------------------------------------------------------------------------

export interface InvoiceRoutesOptions {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  /** Numbers given at finalize; the worker numbers subscription invoices with the same format. */
  invoiceNumbering: InvoiceNumberFormat;
}

export const invoicesRoutes: FastifyPluginAsyncTypebox<InvoiceRoutesOptions> = async (app, { orm, temporal, taskQueue, invoiceNumbering }) => {
  const read = { roles: ['admin', 'operator', 'sales'] as const };
  // Sales bill clients ("bill the client now"); operators finalize drafts others prepared.
  const write = { roles: ['admin', 'sales'] as const };
  const finalize = { roles: ['admin', 'operator', 'sales'] as const };

  /** Runs `work` on the invoice row locked FOR UPDATE, so draft edits, deletion and finalize never interleave. */
  async function withLockedInvoice<R>(id: string, work: (em: EntityManager, invoice: Invoice) => Promise<R>): Promise<R> {
    return orm.em.fork().transactional(async (em) => {
      const invoice = await em.findOne(Invoice, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!invoice) throw notFound('invoice', id);
      return work(em, invoice);
    });
  }

  app.post(
    '/v1/invoices',
    {
      config: write,
      schema: {
        tags: ['invoices'],
        summary: 'Create a draft one-off invoice',
        description:
          'Lines from prices or free text, discounts, fees and tax rates; totals are computed in exact minor units. ' +
          'The draft has no number and no due date until it is finalized.',
        body: CreateInvoice,
        response: { 200: InvoiceResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const em = orm.em.fork();
      const { customer, currency, collectionMethod, now, terms, priced } = await priceNewDraft(em, body);

      const id = newId('invoice');
      await em.transactional(async (tx) => {
        const invoice = tx.create(Invoice, {
          id,
          number: null,
          customerId: customer.id,
          subscriptionId: null,
          periodIndex: null,
          periodStart: null,
          periodEnd: null,
          status: 'draft',
          currency,
          subtotal: 0,
          tax: 0,
          total: 0,
          amountPaid: 0,
          amountDue: 0,
          collectionMethod,
          paymentTerms: terms.paymentTerms,
          dueDate: terms.dueDate,
          memo: body.memo ?? null,
          footer: body.footer ?? null,
          paidAt: null,
          nextPaymentAttempt: null,
          pastDueAt: null,
          createdAt: now,
          updatedAt: now,
        });
        applyTotals(invoice, priced);
        // Foreign keys are plain columns here, so the invoice row must exist before its lines.
        await tx.flush();
        createLines(tx, id, priced);
      });
      const created = await orm.em.fork().findOneOrFail(Invoice, { id });
      return invoiceWithLines(orm.em.fork(), created);
    },
  );

  app.post(
    '/v1/invoices/preview',
    {
      config: read,
      schema: {
        tags: ['invoices'],
        summary: 'Compute an invoice without saving it',
        description: 'Same body as creating one; answers the totals and the due date it would have if finalized now.',
        body: CreateInvoice,
        response: { 200: InvoicePreview, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const { customer, currency, collectionMethod, now, terms, priced } = await priceNewDraft(orm.em.fork(), body);
      const { totals } = priced;
      return {
        object: 'invoice_preview' as const,
        customer: customer.id,
        currency: currency.toLowerCase(),
        collection_method: collectionMethod,
        payment_terms: terms.paymentTerms,
        due_date: computeDueDate(terms.paymentTerms, now, customer.timeZone, terms.dueDate).toISOString(),
        subtotal: totals.subtotal,
        discount_total: totals.discountTotal,
        fee_total: totals.feeTotal,
        tax: totals.taxTotal,
        total: totals.total,
        amount_due: totals.total,
        discounts: priced.discounts.map(discountResource),
        fees: priced.fees.map(feeResource),
        tax_amounts: priced.taxAmounts.map(taxResource),
        lines: priced.lines.map((line, i) => ({
          description: line.description,
          price: line.priceId,
          quantity: line.quantity,
          unit_amount: line.unitAmount,
          amount: totals.lines[i]!.amount,
          discount_amount: totals.lines[i]!.discountAmount,
          tax_amount: totals.lines[i]!.taxAmounts.reduce((sum, tax) => sum + tax, 0),
        })),
        memo: body.memo ?? null,
      };
    },
  );

  app.get(
    '/v1/invoices',
    {
      config: read,
      schema: {
        tags: ['invoices'],
        summary: 'List invoices, newest first (lines omitted; retrieve one for its lines)',
        description:
          'Filters combine: status, customer, subscription, due_date[gte]/[lte] and created[gte]/[lte] (ISO instants), ' +
          'overdue=true for open invoices past their due date.',
        querystring: ListInvoicesQuery,
        response: { 200: listOf(InvoiceSummaryResource, 'Invoice'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const range = (field: 'due_date' | 'created') => {
        const [gte, lte] = [q[`${field}[gte]`], q[`${field}[lte]`]];
        if (gte === undefined && lte === undefined) return undefined;
        return definedOnly({ $gte: gte && instant(`${field}[gte]`, gte), $lte: lte && instant(`${field}[lte]`, lte) });
      };
      const now = new Date();
      const filters: FilterQuery<Invoice>[] = [
        definedOnly({
          status: q.status,
          customerId: q.customer,
          subscriptionId: q.subscription,
          dueDate: range('due_date'),
          createdAt: range('created'),
        }) as FilterQuery<Invoice>,
      ];
      if (q.overdue === true) filters.push({ status: 'open', dueDate: { $lt: now } });
      if (q.overdue === false) filters.push({ $or: [{ status: { $ne: 'open' } }, { dueDate: { $gte: now } }] });
      return paginate(orm.em.fork(), Invoice, { $and: filters }, q, invoiceSummary);
    },
  );

  app.get(
    '/v1/invoices/:id',
    {
      config: read,
      schema: { tags: ['invoices'], summary: 'Retrieve an invoice with its lines', params: IdParams, response: { 200: InvoiceResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const em = orm.em.fork();
      const invoice = await em.findOne(Invoice, { id: request.params.id });
      if (!invoice) throw notFound('invoice', request.params.id);
      return invoiceWithLines(em, invoice);
    },
  );

  app.post(
    '/v1/invoices/:id',
    {
      config: write,
      schema: {
        tags: ['invoices'],
        summary: 'Update a draft invoice',
        description: 'Only drafts change (409 invoice_not_draft otherwise). Lines, discounts, fees and tax_rates given replace the whole list.',
        params: IdParams,
        body: UpdateInvoice,
        response: { 200: InvoiceResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const body = request.body as UpdateInvoice;
      const id = request.params.id;
      await withLockedInvoice(id, async (em, invoice) => {
        if (invoice.status !== 'draft') throw notDraft(invoice);
        const customer = await em.findOneOrFail(Customer, { id: invoice.customerId });
        const currency = body.currency === undefined ? invoice.currency : resolveCurrency(customer, body.currency);
        const collectionMethod = body.collection_method ?? (invoice.collectionMethod as CollectionMethod);
        const now = new Date();

        if (body.payment_terms !== undefined || body.due_date !== undefined) {
          const terms = resolveTerms(body.payment_terms, body.due_date, collectionMethod, now);
          invoice.paymentTerms = terms.paymentTerms;
          invoice.dueDate = terms.dueDate;
        }

        // Kept lines keep the unit amount they were added with, even if their price changed since.
        const keptLines =
          body.lines === undefined
            ? (await em.find(InvoiceLine, { invoiceId: id }, { orderBy: { position: 'asc' } })).map((l) => ({
                description: l.description,
                priceId: l.priceId,
                unitAmount: l.unitAmount,
                quantity: l.quantity,
              }))
            : undefined;
        const input: DraftInput = {
          lines: body.lines ?? [],
          discounts:
            body.discounts ??
            (invoice.discounts ?? []).map((d) => ({
              ...(d.description === null ? {} : { description: d.description }),
              ...(d.ratePpm === null ? { amount_off: d.amountOff ?? 0 } : { percent_off: formatPercentage(d.ratePpm) }),
            })),
          fees:
            body.fees ??
            (invoice.fees ?? []).map((f) => ({
              description: f.description,
              taxable: f.taxable,
              ...(f.ratePpm === null ? { amount: f.amount } : { percentage: formatPercentage(f.ratePpm) }),
            })),
          tax_rates:
            body.tax_rates ??
            (invoice.taxAmounts ?? []).map((t) => ({ display_name: t.displayName, percentage: formatPercentage(t.ratePpm), inclusive: t.inclusive })),
        };
        const priced = await priceDraft(em, input, currency, keptLines);

        invoice.currency = currency;
        invoice.collectionMethod = collectionMethod;
        if (body.memo !== undefined) invoice.memo = body.memo;
        if (body.footer !== undefined) invoice.footer = body.footer;
        applyTotals(invoice, priced);
        invoice.updatedAt = now;
        await em.nativeDelete(InvoiceLine, { invoiceId: id });
        createLines(em, id, priced);
        await em.flush();
      });
      const em = orm.em.fork();
      return invoiceWithLines(em, await em.findOneOrFail(Invoice, { id }));
    },
  );

  app.delete(
    '/v1/invoices/:id',
    {
      config: write,
      schema: {
        tags: ['invoices'],
        summary: 'Delete a draft invoice',
        description: 'Only drafts can be deleted (409 invoice_not_draft otherwise); a finalized invoice is voided instead.',
        params: IdParams,
        response: { 200: DeletedInvoice, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const id = request.params.id;
      await withLockedInvoice(id, async (em, invoice) => {
        if (invoice.status !== 'draft') throw notDraft(invoice);
        await em.nativeDelete(InvoiceLine, { invoiceId: id });
        await em.nativeDelete(Invoice, { id });
      });
      return { id, object: 'invoice' as const, deleted: true as const };
    },
  );

  app.post(
    '/v1/invoices/:id/finalize',
    {
      config: finalize,
      schema: {
        tags: ['invoices'],
        summary: 'Finalize a draft: number it, set its due date and start collecting it',
        description:
          'draft → open. The number comes from the gapless sequence in the same transaction, the due date from the payment ' +
          'terms in the customer time zone. A zero-total invoice is paid at once. Collection (charge or email, then dunning) ' +
          'runs in the workflow `invoice-<id>`.',
        params: IdParams,
        response: { 200: InvoiceResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const id = request.params.id;
      const invoice = await withLockedInvoice(id, async (em, invoice) => {
        if (invoice.status === 'open' && invoice.subscriptionId === null && !(await collectionStarted(id))) {
          // An earlier finalize committed but could not start collection (Temporal unavailable): finish it now.
          return invoice;
        }
        assertInvoiceTransition(invoice.status, 'open', invoice.id);
        const customer = await em.findOneOrFail(Customer, { id: invoice.customerId });
        const now = new Date();
        if (invoice.collectionMethod === 'charge_automatically' && invoice.total > 0 && !customer.defaultPaymentMethod) {
          throw unprocessable(
            'collection_method',
            'no_payment_method',
            `Customer ${customer.id} has no default_payment_method to charge; set one or use collection_method=send_invoice.`,
          );
        }
        const terms = invoice.paymentTerms ?? defaultPaymentTerms(invoice.collectionMethod as CollectionMethod);
        if (terms === 'custom' && invoice.dueDate && invoice.dueDate.getTime() <= now.getTime()) {
          throw unprocessable('due_date', 'due_date_in_past', `The invoice's due date ${invoice.dueDate.toISOString()} has passed; update it before finalizing.`);
        }
        // A zero total comes back paid: nothing to collect, so no collection workflow below.
        await finalizeDraftInvoice(em, invoice, invoiceNumbering, { paymentTerms: terms, timeZone: customer.timeZone, now });
        await em.flush();
        return invoice;
      });

      if (invoice.status === 'open') {
        try {
          await startInvoiceCollection(temporal, taskQueue, {
            invoiceId: invoice.id,
            customerId: invoice.customerId,
            collectionMethod: invoice.collectionMethod as CollectionMethod,
            ownerWorkflowId: null,
          });
        } catch (err) {
          // The invoice stays open and numbered; finalizing again starts the collection.
          throw workflowCallError(err, `Invoice ${id} is finalized but its collection could not start; retry the finalize`);
        }
      }
      const em = orm.em.fork();
      return invoiceWithLines(em, await em.findOneOrFail(Invoice, { id }));
    },
  );

  async function collectionStarted(invoiceId: string): Promise<boolean> {
    try {
      await temporal.workflow.getHandle(invoiceCollectionWorkflowId(invoiceId)).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw workflowCallError(err, `Cannot check the collection of invoice ${invoiceId}`);
    }
  }
};
