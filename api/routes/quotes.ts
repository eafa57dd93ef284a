/**
 * `/v1/quotes`: sales quotes from draft to cash. The API validates and prices each version (catalog
 * prices, coupons and tax rates; totals through domain/pricing.ts), hashes it, and writes the quote
 * once; its workflow (`quote-<id>`) owns it from then on: every change (draft edits, send, approval,
 * revision, void, signatures) is an update on that workflow, validated there, and the answer is read
 * back from the records it writes. The customer's side (view, sign, decline behind an acceptance
 * link) is api/routes/public-quotes.ts. Also `/v1/onboarding-tasks`, which paid quotes leave behind.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { ApiKey, Customer, OnboardingTask, Price, Product, Quote, QuoteSignature, QuoteVersion, TaxRate } from '../../db/entities';
import { newId } from '../../db/ids';
import { isValidTimeZone } from '../../domain/calendar';
import { INTERVAL_UNITS } from '../../domain/frequency';
import { MoneyError, isSupportedCurrency } from '../../domain/money';
import { PAYMENT_TERMS, defaultPaymentTerms, type PaymentTerms } from '../../domain/payment-terms';
import { PERCENTAGE_PATTERN, PricingError, formatPercentage, parsePercentage, type FeeInput } from '../../domain/pricing';
import { InstalmentScheduleError, MAX_INSTALMENTS, buildInstalmentSchedule } from '../../domain/instalment-schedule';
import {
  FINAL_STAGES,
  QUOTE_PAYMENT_MODES,
  QUOTE_STAGES,
  quoteScheduleInput,
  type QuoteContent,
  type QuoteDiscount,
  type QuoteLine,
  type QuotePayment,
  type QuoteSigner,
  type QuoteTaxRate,
} from '../../domain/quote';
import { addQuoteRecords, quoteVersionInput, startQuoteWorkflow } from '../../services/quotes/start-quote';
import {
  approveQuoteUpdate,
  rejectQuoteUpdate,
  reviseQuoteUpdate,
  sendQuoteUpdate,
  signQuoteUpdate,
  updateQuoteDraftUpdate,
  voidQuoteUpdate,
  waitUntilQuoteRecordedUpdate,
  type QuoteVersionInput,
} from '../../workflows/quote/contract';
import type { quoteWorkflow } from '../../workflows/quote/workflow';
import type { QuoteConfig } from '../../config';
import { redeemableCoupon } from '../subscription-billing';
import { ApiError, ErrorSchema, conflict, invalidParam, missingReference, notFound, unprocessable } from '../errors';
import { CurrencyCode, IdParams, ListQuery, Metadata, Nullable, PaymentMethodId, Timestamp, cursorFilter, definedOnly, iso, listOf } from '../schemas';
import { workflowCallError } from '../workflow-errors';

export const QuoteStage = Type.Enum([...QUOTE_STAGES], {
  description:
    'draft: being prepared; pending_approval: the discount is above the threshold, an admin approves; sent / signing: waiting for signatures; ' +
    'accepted: every signer signed; awaiting_payment: invoiced or charging; fulfilled: paid, subscriptions started; declined, expired, voided: closed',
});

const Interval = Type.Object({ interval: Type.String(), interval_count: Type.Integer() });

const QuoteLineResource = Type.Object({
  id: Type.String(),
  description: Type.String(),
  price: Nullable(Type.String()),
  unit_amount: Type.Integer(),
  quantity: Type.Integer(),
  amount: Type.Integer({ description: 'unit_amount × quantity' }),
  recurring: Nullable(Interval),
});

const Totals = Type.Object({
  one_time: Type.Object({
    subtotal: Type.Integer(),
    discount_total: Type.Integer(),
    fee_total: Type.Integer(),
    tax_total: Type.Integer(),
    total: Type.Integer({ description: 'Due on acceptance (charged, invoiced, or split into the payment schedule)' }),
  }),
  recurring: Type.Array(
    Type.Object({ interval: Type.String(), interval_count: Type.Integer(), subtotal: Type.Integer(), tax_total: Type.Integer(), total: Type.Integer() }),
    { description: 'Per billing interval: what the subscriptions bill each period' },
  ),
  discount_percent: Type.String({ description: 'One-time discount total as a percentage of the one-time subtotal' }),
});

const Discount = Type.Object({
  coupon: Nullable(Type.String()),
  description: Nullable(Type.String()),
  percent_off: Nullable(Type.String()),
  amount_off: Nullable(Type.Integer()),
  amount: Type.Integer({ description: 'What it took off the one-time lines' }),
});
const Fee = Type.Object({ description: Type.String(), percentage: Nullable(Type.String()), amount: Type.Integer(), taxable: Type.Boolean() });
const Tax = Type.Object({ id: Type.String(), display_name: Type.String(), percentage: Type.String(), inclusive: Type.Boolean(), amount: Type.Integer() });

const Payment = Type.Object({
  one_time: Type.Enum([...QUOTE_PAYMENT_MODES]),
  payment_terms: Type.String(),
  schedule: Nullable(
    Type.Object({
      count: Type.Integer(),
      interval: Type.String(),
      interval_count: Type.Integer(),
      down_payment: Nullable(Type.Object({ amount: Type.Optional(Type.Integer()), percent: Type.Optional(Type.String()) })),
    }),
  ),
  subscription_start_date: Nullable(Timestamp),
});

const ContentFields = {
  title: Type.String(),
  currency: Type.String(),
  version: Type.Integer(),
  content_hash: Type.String({ description: 'SHA-256 of the version’s canonical JSON; a signature must name it' }),
  lines: Type.Array(QuoteLineResource),
  discounts: Type.Array(Discount),
  fees: Type.Array(Fee),
  tax_rates: Type.Array(Tax),
  totals: Totals,
  expires_at: Timestamp,
  terms: Nullable(Type.String()),
  notes: Nullable(Type.String()),
  payment: Payment,
};

export const QuoteResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('quote'),
    customer: Type.String(),
    stage: QuoteStage,
    waiting_for: Type.String(),
    owner: Type.Object({ name: Type.String(), email: Type.String() }),
    account_manager_email: Nullable(Type.String()),
    ...ContentFields,
    requires_approval: Type.Boolean(),
    signing: Type.Object({
      order: Type.Enum(['sequential', 'any']),
      signers: Type.Array(
        Type.Object({
          id: Type.String(),
          kind: Type.Enum(['customer', 'internal']),
          name: Type.String(),
          email: Type.String(),
          api_key: Nullable(Type.String({ description: 'internal signers: the only API key that countersigns as them' })),
          signed: Type.Boolean(),
        }),
      ),
    }),
    signatures: Type.Array(
      Type.Object({
        signer: Type.String(),
        kind: Type.Enum(['customer', 'internal']),
        name: Type.String(),
        email: Type.String(),
        link: Nullable(Type.String({ description: 'customer signers: the id of their own link the signature came through' })),
        api_key: Nullable(Type.String({ description: 'internal signers: the API key that countersigned' })),
        ip: Type.String(),
        user_agent: Nullable(Type.String()),
        signed_at: Timestamp,
        version: Type.Integer(),
        content_hash: Type.String({ description: 'SHA-256 of the exact version content signed' }),
        superseded: Type.Boolean({ description: 'Signed a version that a revision replaced: it no longer counts' }),
      }),
    ),
    invoice: Nullable(Type.String()),
    instalment_plan: Nullable(Type.String()),
    subscriptions: Type.Array(Type.String()),
    timeline: Type.Array(Type.Object({ at: Timestamp, from: Nullable(Type.String()), to: Type.String(), reason: Type.String(), by: Type.String() })),
    approved_by: Nullable(Type.String()),
    approved_at: Nullable(Timestamp),
    accepted_at: Nullable(Timestamp),
    fulfilled_at: Nullable(Timestamp),
    declined_at: Nullable(Timestamp),
    decline_reason: Nullable(Type.String()),
    voided_at: Nullable(Timestamp),
    void_reason: Nullable(Type.String()),
    expired_at: Nullable(Timestamp),
    workflow_id: Type.String(),
    metadata: Metadata,
    created_at: Timestamp,
  },
  { $id: 'Quote' },
);

export const PublicQuoteResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('quote'),
    stage: QuoteStage,
    customer_name: Type.String(),
    owner: Type.Object({ name: Type.String(), email: Type.String() }),
    ...ContentFields,
    signing: Type.Object({
      order: Type.Enum(['sequential', 'any']),
      signers: Type.Array(Type.Object({ kind: Type.Enum(['customer', 'internal']), name: Type.String(), signed: Type.Boolean() })),
    }),
  },
  { $id: 'PublicQuote' },
);

export interface QuoteRecords {
  quote: Quote;
  version: QuoteVersion;
  signatures: QuoteSignature[];
}

/** Quotes with their current version and signatures, in two queries whatever the page size. */
export async function loadQuoteRecords(em: EntityManager, quotes: Quote[]): Promise<QuoteRecords[]> {
  if (quotes.length === 0) return [];
  const ids = quotes.map((q) => q.id);
  const versions = await em.find(QuoteVersion, { quoteId: { $in: ids } });
  const signatures = await em.find(QuoteSignature, { quoteId: { $in: ids } }, { orderBy: { signedAt: 'asc' } });
  return quotes.map((quote) => ({
    quote,
    version: versions.find((v) => v.quoteId === quote.id && v.version === quote.version)!,
    signatures: signatures.filter((s) => s.quoteId === quote.id),
  }));
}

const intervalOf = (i: { unit: string; count: number }) => ({ interval: i.unit, interval_count: i.count });

function contentFields({ quote, version }: QuoteRecords) {
  const c = version.content;
  const t = version.totals;
  return {
    title: c.title,
    currency: c.currency.toLowerCase(),
    version: c.version,
    content_hash: version.contentHash,
    lines: c.lines.map((l) => ({
      id: l.id,
      description: l.description,
      price: l.priceId,
      unit_amount: l.unitAmount,
      quantity: l.quantity,
      amount: l.unitAmount * l.quantity,
      recurring: l.recurring ? intervalOf(l.recurring) : null,
    })),
    discounts: c.discounts.map((d, i) => ({
      coupon: d.couponId,
      description: d.description ?? null,
      percent_off: d.type === 'percentage' ? formatPercentage(d.ratePpm) : null,
      amount_off: d.type === 'fixed_amount' ? d.amount : null,
      amount: t.oneTime.discounts[i] ?? 0,
    })),
    fees: c.fees.map((f, i) => ({
      description: f.description,
      percentage: f.type === 'percentage' ? formatPercentage(f.ratePpm) : null,
      amount: t.oneTime.fees[i] ?? 0,
      taxable: f.taxable,
    })),
    tax_rates: c.taxRates.map((r, i) => ({
      id: r.id,
      display_name: r.displayName,
      percentage: formatPercentage(r.ratePpm),
      inclusive: r.inclusive,
      amount: t.oneTime.taxes[i]?.amount ?? 0,
    })),
    totals: {
      one_time: {
        subtotal: t.oneTime.subtotal,
        discount_total: t.oneTime.discountTotal,
        fee_total: t.oneTime.feeTotal,
        tax_total: t.oneTime.taxTotal,
        total: t.oneTime.total,
      },
      recurring: t.recurring.map((r) => ({ ...intervalOf(r.interval), subtotal: r.subtotal, tax_total: r.taxTotal, total: r.total })),
      discount_percent: formatPercentage(t.discountPpm),
    },
    expires_at: iso(quote.expiresAt)!,
    terms: c.terms,
    notes: c.notes,
    payment: {
      one_time: c.payment.oneTime,
      payment_terms: c.payment.paymentTerms,
      schedule: c.payment.schedule
        ? {
            count: c.payment.schedule.count,
            ...intervalOf(c.payment.schedule.interval),
            down_payment: c.payment.schedule.downPayment,
          }
        : null,
      subscription_start_date: c.payment.subscriptionStartDate,
    },
  };
}

const signedNow = ({ quote, signatures }: QuoteRecords) =>
  new Set(signatures.filter((s) => !s.superseded && s.version === quote.version).map((s) => s.signerId));

export function quoteResource(records: QuoteRecords) {
  const { quote, version, signatures } = records;
  const signed = signedNow(records);
  return {
    id: quote.id,
    object: 'quote' as const,
    customer: quote.customerId,
    stage: quote.stage,
    waiting_for: quote.waitingFor,
    owner: { name: quote.ownerName, email: quote.ownerEmail },
    account_manager_email: quote.accountManagerEmail,
    ...contentFields(records),
    requires_approval: quote.requiresApproval,
    signing: {
      order: version.content.signing.order,
      signers: version.content.signing.signers.map((s) => ({ id: s.id, kind: s.kind, name: s.name, email: s.email, api_key: s.apiKeyId ?? null, signed: signed.has(s.id) })),
    },
    signatures: signatures.map((s) => ({
      signer: s.signerId,
      kind: s.kind,
      name: s.name,
      email: s.email,
      link: s.linkId,
      api_key: s.apiKeyId,
      ip: s.ip,
      user_agent: s.userAgent,
      signed_at: iso(s.signedAt)!,
      version: s.version,
      content_hash: s.contentHash,
      superseded: s.superseded,
    })),
    invoice: quote.invoiceId,
    instalment_plan: quote.instalmentPlanId,
    subscriptions: quote.subscriptionIds,
    timeline: quote.timeline,
    approved_by: quote.approvedBy,
    approved_at: iso(quote.approvedAt),
    accepted_at: iso(quote.acceptedAt),
    fulfilled_at: iso(quote.fulfilledAt),
    declined_at: iso(quote.declinedAt),
    decline_reason: quote.declineReason,
    voided_at: iso(quote.voidedAt),
    void_reason: quote.voidReason,
    expired_at: iso(quote.expiredAt),
    workflow_id: quote.workflowId,
    metadata: quote.metadata,
    created_at: iso(quote.createdAt)!,
  };
}

export function publicQuoteResource(records: QuoteRecords) {
  const { quote, version } = records;
  const signed = signedNow(records);
  return {
    id: quote.id,
    object: 'quote' as const,
    stage: quote.stage,
    customer_name: version.content.customer.name,
    owner: { name: quote.ownerName, email: quote.ownerEmail },
    ...contentFields(records),
    signing: {
      order: version.content.signing.order,
      signers: version.content.signing.signers.map((s) => ({ kind: s.kind, name: s.name, signed: signed.has(s.id) })),
    },
  };
}

// ---- request bodies ---------------------------------------------------------------------------

/** A date this far in the past is a client clock skew, treated as "now"; further back is an error. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Quotes expire this long after creation unless `expires_at` says otherwise. */
export const DEFAULT_QUOTE_VALIDITY_DAYS = 30;

const Percentage = Type.String({ pattern: PERCENTAGE_PATTERN, description: 'Percent as a decimal string, up to 4 decimals: "20", "12.5"' });
const EmailAddress = Type.String({ format: 'email', maxLength: 254 });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Person = Type.Object({ name: Name, email: EmailAddress }, { additionalProperties: false });

const LineInput = Type.Object(
  {
    price: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A catalog price; recurring prices start subscriptions on payment' })),
    description: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: "Required without price; default the product's name" })),
    unit_amount: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: "Minor units; required without price; default the price's" })),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Default 1' })),
  },
  { additionalProperties: false, description: 'From a price, or free text (one-time) with description and unit_amount' },
);
type LineInput = Static<typeof LineInput>;

const DiscountInput = Type.Object(
  {
    coupon: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "A catalog coupon's terms (not redeemed: a quote is an offer)" })),
    percent_off: Type.Optional(Percentage),
    amount_off: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    description: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false, description: 'Exactly one of coupon, percent_off or amount_off; applies to the one-time lines' },
);
const FeeInput = Type.Object(
  {
    description: Type.String({ minLength: 1, maxLength: 200 }),
    amount: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    percentage: Type.Optional(Percentage),
    taxable: Type.Optional(Type.Boolean({ description: 'Default true' })),
  },
  { additionalProperties: false, description: 'Exactly one of amount or percentage; added to the one-time lines' },
);
const SignerInput = Type.Object(
  {
    kind: Type.Enum(['customer', 'internal'], { description: 'customer: signs through their own emailed link; internal: countersigns through the API' }),
    name: Name,
    email: EmailAddress,
    api_key: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'internal only: the id of the admin or sales API key that countersigns as this signer; default the key making the request. Each internal signer has its own key.',
      }),
    ),
  },
  { additionalProperties: false },
);
const PaymentInput = Type.Object(
  {
    one_time: Type.Optional(
      Type.Enum([...QUOTE_PAYMENT_MODES], {
        description: 'charge_now (default): charge the saved payment method on acceptance; send_invoice: email an invoice with payment_terms; payment_schedule: an instalment plan',
      }),
    ),
    payment_terms: Type.Optional(Type.Enum(PAYMENT_TERMS.filter((t) => t !== 'custom'), { description: 'Default net_30 for send_invoice, due_on_receipt otherwise' })),
    schedule: Type.Optional(
      Type.Object(
        {
          count: Type.Integer({ minimum: 1, maximum: MAX_INSTALMENTS }),
          interval: Type.Optional(Type.Enum([...INTERVAL_UNITS], { description: 'Default month' })),
          interval_count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          down_payment: Type.Optional(
            Type.Object(
              { amount: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })), percent: Type.Optional(Percentage) },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false, description: 'payment_schedule only: the one-time total in equal parts from acceptance' },
      ),
    ),
    subscription_start_date: Type.Optional(Type.String({ format: 'date-time', description: 'Recurring lines start here; default when paid' })),
  },
  { additionalProperties: false },
);

const ContentInput = {
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  owner: Type.Optional(Person),
  lines: Type.Optional(Type.Array(LineInput, { maxItems: 100 })),
  discounts: Type.Optional(Type.Array(DiscountInput, { maxItems: 5 })),
  fees: Type.Optional(Type.Array(FeeInput, { maxItems: 10 })),
  tax_rates: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 5, description: 'Active catalog tax rates' })),
  expires_at: Type.Optional(Type.String({ format: 'date-time', description: `Default ${DEFAULT_QUOTE_VALIDITY_DAYS} days after creation` })),
  terms: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
  notes: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))),
  payment: Type.Optional(PaymentInput),
  signers: Type.Optional(Type.Array(SignerInput, { minItems: 1, maxItems: 10, description: 'Default: the customer' })),
  signing_order: Type.Optional(Type.Enum(['sequential', 'any'], { description: 'sequential (default): in the order given' })),
};

const Contact = Type.Object(
  {
    name: Name,
    email: EmailAddress,
    currency: CurrencyCode,
    time_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone; default UTC' })),
    default_payment_method: Type.Optional(PaymentMethodId),
    account_owner_email: Type.Optional(EmailAddress),
  },
  { additionalProperties: false, description: 'A new customer, created with the quote' },
);

const CreateQuote = Type.Object(
  {
    customer: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'An existing customer; or give contact' })),
    contact: Type.Optional(Contact),
    account_manager_email: Type.Optional(EmailAddress),
    ...ContentInput,
    owner: Person,
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
type CreateQuote = Static<typeof CreateQuote>;

const UpdateQuote = Type.Object(ContentInput, { additionalProperties: false });
type ContentChanges = Static<typeof UpdateQuote>;
const ReviseQuote = Type.Object({ ...ContentInput, reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });
const ReasonBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });
const RejectBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });
/** Names no signer: who signs is who the credential (the signer's link, or the API key) identifies. */
export const SignBody = Type.Object(
  { content_hash: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'The content_hash of the version being signed' }) },
  { additionalProperties: false },
);

/** The caller's user agent as a signature records it (bounded: it is the caller's to choose). */
export const userAgentOf = (request: FastifyRequest): string | null => request.headers['user-agent']?.slice(0, 500) ?? null;
const LineParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), line_id: Type.String({ minLength: 1, maxLength: 64 }) });

const QuotePreview = Type.Object(
  { object: Type.Literal('quote_preview'), currency: Type.String(), totals: Totals, requires_approval: Type.Boolean(), lines: Type.Array(QuoteLineResource) },
  { $id: 'QuotePreview' },
);

const OnboardingTaskResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('onboarding_task'),
    quote: Type.String(),
    customer: Type.String(),
    assignee_email: Type.String(),
    title: Type.String(),
    description: Type.String(),
    status: Type.Enum(['open', 'done']),
    created_at: Timestamp,
  },
  { $id: 'OnboardingTask' },
);

const onboardingTaskResource = (t: OnboardingTask) => ({
  id: t.id,
  object: 'onboarding_task' as const,
  quote: t.quoteId,
  customer: t.customerId,
  assignee_email: t.assigneeEmail,
  title: t.title,
  description: t.description,
  status: t.status,
  created_at: iso(t.createdAt)!,
});

// ---- building a version -----------------------------------------------------------------------

type QuoteCustomer = { id: string; name: string; email: string; currency: string; timeZone: string };

async function resolveLine(em: EntityManager, input: LineInput, param: string, currency: string): Promise<QuoteLine> {
  const quantity = input.quantity ?? 1;
  if (input.price === undefined) {
    if (input.description === undefined) throw invalidParam(`${param}[description]`, `${param}[description] is required for a line without a price.`);
    if (input.unit_amount === undefined) throw invalidParam(`${param}[unit_amount]`, `${param}[unit_amount] is required for a line without a price.`);
    return { id: newId('quoteLine'), description: input.description, priceId: null, unitAmount: input.unit_amount, quantity, recurring: null };
  }
  const price = await em.findOne(Price, { id: input.price });
  if (!price) throw missingReference(`${param}[price]`, 'price', input.price);
  if (!price.active) throw invalidParam(`${param}[price]`, `Price ${price.id} is not active.`);
  if (price.currency !== currency) {
    throw unprocessable(`${param}[price]`, 'currency_mismatch', `Price ${price.id} is in ${price.currency.toLowerCase()}; the quote is in ${currency.toLowerCase()}.`);
  }
  const product = await em.findOne(Product, { id: price.productId });
  const recurring = price.type === 'recurring' && price.intervalUnit && price.intervalCount ? { unit: price.intervalUnit, count: price.intervalCount } : null;
  return {
    id: newId('quoteLine'),
    description: input.description ?? [product?.name ?? 'Item', price.nickname].filter(Boolean).join(' – '),
    priceId: price.id,
    unitAmount: input.unit_amount ?? price.unitAmount,
    quantity,
    recurring,
  };
}

/** A percentage field: out of range (over 100) is a 400 naming it, like any other invalid input. */
function percentParam(text: string, param: string): number {
  try {
    return parsePercentage(text, param);
  } catch (err) {
    if (err instanceof PricingError) throw invalidParam(err.param, err.message);
    throw err;
  }
}

async function resolveDiscounts(em: EntityManager, inputs: Static<typeof DiscountInput>[], currency: string, now: Date): Promise<QuoteDiscount[]> {
  const out: QuoteDiscount[] = [];
  for (const [i, d] of inputs.entries()) {
    const param = `discounts[${i}]`;
    if ([d.coupon, d.percent_off, d.amount_off].filter((v) => v !== undefined).length !== 1) {
      throw invalidParam(param, `${param} needs exactly one of coupon, percent_off or amount_off.`);
    }
    if (d.coupon !== undefined) {
      const coupon = await redeemableCoupon(em, d.coupon, currency, now, `${param}[coupon]`);
      const description = d.description ?? coupon.name;
      out.push(
        coupon.percentOffPpm !== null
          ? { type: 'percentage', ratePpm: coupon.percentOffPpm, description, couponId: coupon.id }
          : { type: 'fixed_amount', amount: coupon.amountOff!, description, couponId: coupon.id },
      );
    } else if (d.percent_off !== undefined) {
      out.push({ type: 'percentage', ratePpm: percentParam(d.percent_off, `${param}[percent_off]`), description: d.description ?? null, couponId: null });
    } else {
      out.push({ type: 'fixed_amount', amount: d.amount_off!, description: d.description ?? null, couponId: null });
    }
  }
  return out;
}

function resolveFees(inputs: Static<typeof FeeInput>[]): FeeInput[] {
  return inputs.map((f, i) => {
    const param = `fees[${i}]`;
    if ((f.amount === undefined) === (f.percentage === undefined)) throw invalidParam(param, `${param} needs exactly one of amount or percentage.`);
    const taxable = f.taxable ?? true;
    return f.percentage !== undefined
      ? { type: 'percentage', ratePpm: percentParam(f.percentage, `${param}[percentage]`), taxable, description: f.description }
      : { type: 'fixed_amount', amount: f.amount!, taxable, description: f.description };
  });
}

async function resolveTaxRates(em: EntityManager, ids: string[]): Promise<QuoteTaxRate[]> {
  if (ids.length === 0) return [];
  const found = new Map((await em.find(TaxRate, { id: { $in: [...new Set(ids)] } })).map((r) => [r.id, r]));
  return ids.map((id, i) => {
    const param = `tax_rates[${i}]`;
    if (ids.indexOf(id) !== i) throw invalidParam(param, `Tax rate ${id} is listed twice.`);
    const rate = found.get(id);
    if (!rate) throw missingReference(param, 'tax_rate', id);
    if (!rate.active) throw invalidParam(param, `Tax rate ${id} is not active.`, 'tax_rate_inactive');
    return { id: rate.id, displayName: rate.displayName, ratePpm: rate.percentagePpm, inclusive: rate.inclusive };
  });
}

function resolvePayment(input: Static<typeof PaymentInput>, now: Date): QuotePayment {
  const oneTime = input.one_time ?? 'charge_now';
  if (oneTime === 'payment_schedule' && !input.schedule) throw invalidParam('payment[schedule]', 'payment[schedule] is required for one_time=payment_schedule.');
  if (oneTime !== 'payment_schedule' && input.schedule) throw invalidParam('payment[schedule]', 'payment[schedule] is only for one_time=payment_schedule.');
  const s = input.schedule;
  if (s?.down_payment && (s.down_payment.amount === undefined) === (s.down_payment.percent === undefined)) {
    throw invalidParam('payment[schedule][down_payment]', 'down_payment takes either amount or percent.');
  }
  if (input.subscription_start_date !== undefined && Date.parse(input.subscription_start_date) < now.getTime() - CLOCK_SKEW_MS) {
    throw invalidParam('payment[subscription_start_date]', 'payment[subscription_start_date] must not be in the past.');
  }
  return {
    oneTime,
    paymentTerms: (input.payment_terms as PaymentTerms | undefined) ?? defaultPaymentTerms(oneTime === 'send_invoice' ? 'send_invoice' : 'charge_automatically'),
    schedule: s
      ? {
          count: s.count,
          interval: { unit: s.interval ?? 'month', count: s.interval_count ?? 1 },
          downPayment: s.down_payment ? (s.down_payment.amount !== undefined ? { amount: s.down_payment.amount } : { percent: s.down_payment.percent! }) : null,
        }
      : null,
    subscriptionStartDate: input.subscription_start_date === undefined ? null : new Date(input.subscription_start_date).toISOString(),
  };
}

/** The roles whose keys may countersign (those allowed on POST /v1/quotes/:id/countersign). */
const COUNTERSIGNING_ROLES: readonly string[] = ['admin', 'sales'];

/**
 * The signers of a version. Each internal signer is bound to one API key (named, or the key making
 * the request): only that key countersigns as them, so no key can sign in another person's name.
 * Customer signers are identified by their own emailed link instead.
 */
async function resolveSigners(em: EntityManager, inputs: Static<typeof SignerInput>[] | undefined, customer: QuoteCustomer, callerKeyId: string | null): Promise<QuoteSigner[]> {
  const list = inputs ?? [{ kind: 'customer' as const, name: customer.name, email: customer.email }];
  const seen = new Set<string>();
  const keysTaken = new Set<string>();
  const signers: QuoteSigner[] = [];
  for (const [i, s] of list.entries()) {
    const key = `${s.kind}:${s.email.toLowerCase()}`;
    if (seen.has(key)) throw invalidParam(`signers[${i}][email]`, `${s.email} is already a ${s.kind} signer.`);
    seen.add(key);
    const signer: QuoteSigner = { id: `signer_${i + 1}`, kind: s.kind, name: s.name, email: s.email.toLowerCase() };
    if (s.kind === 'customer') {
      if (s.api_key !== undefined) throw invalidParam(`signers[${i}][api_key]`, 'A customer signer signs through their own link; api_key is for internal signers.');
    } else {
      const param = `signers[${i}][api_key]`;
      const keyId = s.api_key ?? callerKeyId;
      if (!keyId) throw invalidParam(param, 'An internal signer needs the API key that countersigns as them.');
      if (keysTaken.has(keyId)) throw invalidParam(param, `API key ${keyId} already countersigns as another internal signer; give each internal signer their own key.`);
      const apiKey = await em.findOne(ApiKey, { id: keyId });
      if (!apiKey || apiKey.revokedAt) throw missingReference(param, 'API key', keyId);
      if (!COUNTERSIGNING_ROLES.includes(apiKey.role)) throw invalidParam(param, `API key ${keyId} is an ${apiKey.role} key, which cannot countersign.`);
      keysTaken.add(keyId);
      signer.apiKeyId = keyId;
    }
    signers.push(signer);
  }
  if (!signers.some((s) => s.kind === 'customer')) throw invalidParam('signers', 'A quote needs at least one customer signer.');
  return signers;
}

/**
 * The next content: `changes` applied to `base` (or to the defaults for a new quote), with every
 * catalog reference resolved. Lines given replace the lines; every other field replaces its own.
 */
async function buildContent(
  em: EntityManager,
  {
    quoteId,
    version,
    customer,
    base,
    changes,
    now,
    callerKeyId,
  }: { quoteId: string; version: number; customer: QuoteCustomer; base: QuoteContent | null; changes: ContentChanges; now: Date; callerKeyId: string | null },
): Promise<QuoteContent> {
  const currency = customer.currency;
  const lines: QuoteLine[] = [];
  if (changes.lines) for (const [i, line] of changes.lines.entries()) lines.push(await resolveLine(em, line, `lines[${i}]`, currency));
  const expiresAt = changes.expires_at !== undefined ? new Date(changes.expires_at).toISOString() : (base?.expiresAt ?? new Date(now.getTime() + DEFAULT_QUOTE_VALIDITY_DAYS * DAY_MS).toISOString());
  if (Date.parse(expiresAt) <= now.getTime()) throw invalidParam('expires_at', 'expires_at must be in the future.');
  const owner = changes.owner ? { name: changes.owner.name, email: changes.owner.email.toLowerCase() } : base?.owner;
  if (!owner) throw invalidParam('owner', 'owner is required.');
  const signers = changes.signers || !base ? await resolveSigners(em, changes.signers, customer, callerKeyId) : base.signing.signers;
  return {
    quoteId,
    version,
    title: changes.title ?? base?.title ?? `Quote for ${customer.name}`,
    currency,
    customer: { id: customer.id, name: customer.name, email: customer.email },
    owner,
    lines: changes.lines ? lines : (base?.lines ?? []),
    discounts: changes.discounts ? await resolveDiscounts(em, changes.discounts, currency, now) : (base?.discounts ?? []),
    fees: changes.fees ? resolveFees(changes.fees) : (base?.fees ?? []),
    taxRates: changes.tax_rates ? await resolveTaxRates(em, changes.tax_rates) : (base?.taxRates ?? []),
    expiresAt,
    terms: changes.terms !== undefined ? changes.terms : (base?.terms ?? null),
    notes: changes.notes !== undefined ? changes.notes : (base?.notes ?? null),
    payment: changes.payment ? resolvePayment(changes.payment, now) : (base?.payment ?? resolvePayment({}, now)),
    signing: { order: changes.signing_order ?? base?.signing.order ?? 'sequential', signers },
  };
}

/** Prices and hashes a version; pricing and schedule problems are 400s naming the field. */
function priceVersion(content: QuoteContent, config: QuoteConfig, timeZone: string, now: Date): QuoteVersionInput {
  let version: QuoteVersionInput;
  try {
    version = quoteVersionInput(content, config.approvalThresholdPpm);
  } catch (err) {
    if (err instanceof PricingError) throw invalidParam(err.param, err.message);
    if (err instanceof MoneyError) throw unprocessable('lines', 'amount_too_large', err.message);
    throw err;
  }
  const { schedule } = content.payment;
  if (schedule && version.totals.oneTime.total > 0) {
    try {
      buildInstalmentSchedule(quoteScheduleInput(schedule, content.currency, version.totals.oneTime.total, timeZone, now.toISOString()));
    } catch (err) {
      if (err instanceof InstalmentScheduleError) throw invalidParam(`payment[schedule]${err.param.replace(/^([^[]+)/, '[$1]')}`, err.message);
      if (err instanceof MoneyError) throw unprocessable('payment[schedule]', 'amount_too_large', err.message);
      throw err;
    }
  }
  return version;
}

// ---- routes -----------------------------------------------------------------------------------

export interface QuoteRoutesOptions {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  workflowAnswerTimeoutMs: number;
  quotes: QuoteConfig;
}

/** Who did it, as the quote's timeline shows: the API key's name. */
const actor = (request: FastifyRequest): string => request.apiKey?.name ?? 'api';

export const quotesRoutes: FastifyPluginAsyncTypebox<QuoteRoutesOptions> = async (app, { orm, temporal, taskQueue, workflowAnswerTimeoutMs, quotes: config }) => {
  const withinDeadline = <R>(call: () => Promise<R>): Promise<R> => temporal.withDeadline(Date.now() + workflowAnswerTimeoutMs, call);
  const read = { roles: ['admin', 'operator', 'sales'] as const };
  const write = { roles: ['admin', 'sales'] as const };
  const admin = { roles: ['admin'] as const };
  const handle = (workflowId: string) => temporal.workflow.getHandle<typeof quoteWorkflow>(workflowId);

  async function load(id: string) {
    const em = orm.em.fork();
    const quote = await em.findOne(Quote, { id });
    if (!quote) throw notFound('quote', id);
    return quoteResource((await loadQuoteRecords(em, [quote]))[0]!);
  }

  /** The customer a new quote is for: an existing one, or a new one from the contact (not yet written). */
  async function quoteCustomer(em: EntityManager, body: CreateQuote): Promise<{ customer: QuoteCustomer; create: Customer | null }> {
    if ((body.customer === undefined) === (body.contact === undefined)) throw invalidParam('customer', 'Give either customer or contact.');
    if (body.customer !== undefined) {
      const customer = await em.findOne(Customer, { id: body.customer });
      if (!customer) throw missingReference('customer', 'customer', body.customer);
      return { customer, create: null };
    }
    const c = body.contact!;
    if (!isSupportedCurrency(c.currency.toUpperCase())) throw invalidParam('contact[currency]', `Unsupported currency: ${c.currency}.`);
    const timeZone = c.time_zone ?? 'UTC';
    if (!isValidTimeZone(timeZone)) throw invalidParam('contact[time_zone]', `Unknown IANA time zone: ${timeZone}.`);
    const now = new Date();
    const customer = new Customer();
    Object.assign(customer, {
      id: newId('customer'),
      email: c.email,
      name: c.name,
      currency: c.currency.toUpperCase(),
      timeZone,
      billingAddress: null,
      defaultPaymentMethod: c.default_payment_method ?? null,
      gatewayCustomerId: null,
      accountOwnerEmail: c.account_owner_email ?? null,
      metadata: {},
      createdAt: now,
      updatedAt: now,
    });
    return { customer, create: customer };
  }

  app.post(
    '/v1/quotes/preview',
    {
      config: read,
      schema: {
        tags: ['quotes'],
        summary: 'Price a quote without creating anything',
        description: 'Takes the same body as creating a quote and answers its totals and whether it needs approval.',
        body: CreateQuote,
        response: { 200: QuotePreview, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const now = new Date();
      const { customer } = await quoteCustomer(em, request.body);
      const content = await buildContent(em, { quoteId: 'preview', version: 1, customer, base: null, changes: request.body, now, callerKeyId: request.apiKey?.id ?? null });
      const version = priceVersion(content, config, customer.timeZone, now);
      const shown = contentFields({ quote: { expiresAt: new Date(content.expiresAt) } as Quote, version: { ...version, content } as unknown as QuoteVersion, signatures: [] });
      return { object: 'quote_preview' as const, currency: shown.currency, totals: shown.totals, requires_approval: version.requiresApproval, lines: shown.lines };
    },
  );

  app.post(
    '/v1/quotes',
    {
      config: write,
      schema: {
        tags: ['quotes'],
        summary: 'Create a draft quote and start its workflow',
        description:
          'For an existing customer, or a new one from contact (created with the quote). Lines come from catalog prices (one-time or recurring) ' +
          'or free text (one-time). Discounts, fees and tax rates apply to the one-time lines; tax rates also to the subscriptions started for recurring lines.',
        body: CreateQuote,
        response: { 200: QuoteResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const em = orm.em.fork();
      const now = new Date();
      const { customer, create } = await quoteCustomer(em, body);
      const id = newId('quote');
      const content = await buildContent(em, { quoteId: id, version: 1, customer, base: null, changes: body, now, callerKeyId: request.apiKey?.id ?? null });
      const version = priceVersion(content, config, customer.timeZone, now);
      // One transaction: the new customer (if any), the quote and its first version, or nothing.
      await em.transactional(async (tx) => {
        if (create) {
          tx.persist(create);
          await tx.flush();
        }
        await addQuoteRecords(tx, { version, accountManagerEmail: body.account_manager_email ?? null, metadata: body.metadata ?? {}, now });
      });
      try {
        const started = await startQuoteWorkflow(temporal, taskQueue, { quoteId: id, customerId: customer.id, version, settings: { reminderDaysBefore: config.reminderDaysBefore } });
        try {
          await withinDeadline(() => started.executeUpdate(waitUntilQuoteRecordedUpdate));
        } catch (err) {
          // The workflow is started and durable; it records its state as soon as a worker picks it up.
          request.log.warn({ err, quoteId: id }, 'quote started; its first state write is still pending');
        }
      } catch (err) {
        // No workflow, no quote: never leave a quote nothing will ever move.
        const cleanup = orm.em.fork();
        await cleanup.nativeDelete(Quote, { id });
        if (create) await cleanup.nativeDelete(Customer, { id: create.id });
        throw workflowCallError(err, `Cannot start quote ${id}`);
      }
      return load(id);
    },
  );

  app.get(
    '/v1/quotes',
    {
      config: read,
      schema: {
        tags: ['quotes'],
        summary: 'List quotes, newest first',
        querystring: Type.Object(
          {
            ...ListQuery,
            stage: Type.Optional(QuoteStage),
            owner: Type.Optional(Type.String({ maxLength: 254, description: "The owner's email" })),
            customer: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(QuoteResource, 'Quote'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { stage, owner, customer, starting_after } = request.query;
      const limit = request.query.limit ?? 10;
      const em = orm.em.fork();
      const where = definedOnly({ stage, ownerEmail: owner?.toLowerCase(), customerId: customer });
      const rows = await em.find(Quote, { $and: [where, await cursorFilter(em, Quote, starting_after)] }, { orderBy: { id: 'desc' }, limit: limit + 1 });
      const page = await loadQuoteRecords(em, rows.slice(0, limit));
      return { object: 'list' as const, data: page.map(quoteResource), has_more: rows.length > limit };
    },
  );

  app.get(
    '/v1/quotes/:id',
    { config: read, schema: { tags: ['quotes'], summary: 'Retrieve a quote', params: IdParams, response: { 200: QuoteResource, '4xx': ErrorSchema } } },
    async (request) => load(request.params.id),
  );

  /** A change goes to the quote's workflow, which owns it; the answer is read back from the database. */
  async function change(id: string, what: string, send: (quote: Quote, current: QuoteVersion) => Promise<unknown>) {
    const em = orm.em.fork();
    const quote = await em.findOne(Quote, { id });
    if (!quote) throw notFound('quote', id);
    // Its workflow may have ended: answer as the workflow's own rule would.
    if (FINAL_STAGES.includes(quote.stage)) {
      throw conflict(quote.stage === 'expired' ? 'quote_expired' : 'quote_closed', `Quote ${id} is ${quote.stage}.`);
    }
    const current = await em.findOneOrFail(QuoteVersion, { quoteId: id, version: quote.version });
    try {
      await withinDeadline(() => send(quote, current));
    } catch (err) {
      throw workflowCallError(err, `Cannot ${what} quote ${id}`);
    }
    return load(id);
  }

  /** A new version built from the current one: same number for a draft edit, the next for a revision. */
  async function nextVersion(quote: Quote, current: QuoteVersion, changes: ContentChanges, versionNumber: number, request: FastifyRequest): Promise<QuoteVersionInput> {
    const em = orm.em.fork();
    const customer = await em.findOneOrFail(Customer, { id: quote.customerId });
    const now = new Date();
    const content = await buildContent(em, {
      quoteId: quote.id,
      version: versionNumber,
      customer: { ...customer, name: current.content.customer.name, email: current.content.customer.email, currency: current.content.currency },
      base: current.content,
      changes,
      now,
      callerKeyId: request.apiKey?.id ?? null,
    });
    return priceVersion(content, config, customer.timeZone, now);
  }

  /** Draft edits are checked against the stage here too, so a sent quote answers 409 before any pricing. */
  const requireDraft = (quote: Quote) => {
    if (quote.stage !== 'draft') throw conflict('quote_not_draft', `Only a draft can be edited (quote ${quote.id} is ${quote.stage}); revise it instead.`);
  };

  const editDraft = (id: string, what: string, changesFor: (current: QuoteVersion) => ContentChanges | Promise<ContentChanges>, request: FastifyRequest) =>
    change(id, what, async (quote, current) => {
      requireDraft(quote);
      const version = await nextVersion(quote, current, await changesFor(current), current.content.version, request);
      return handle(quote.workflowId).executeUpdate(updateQuoteDraftUpdate, { args: [{ baseHash: current.contentHash, version, by: actor(request) }] });
    });

  app.post(
    '/v1/quotes/:id',
    {
      config: write,
      schema: {
        tags: ['quotes'],
        summary: 'Update a draft quote',
        description: 'Only a draft; each field given replaces its own (lines replace every line). A sent quote is revised instead.',
        params: IdParams,
        body: UpdateQuote,
        response: { 200: QuoteResource, '4xx': ErrorSchema },
      },
    },
    async (request) => editDraft(request.params.id, 'update', () => request.body, request),
  );

  app.post(
    '/v1/quotes/:id/lines',
    {
      config: write,
      schema: {
        tags: ['quotes'],
        summary: "Add a line to a draft quote",
        params: IdParams,
        body: LineInput,
        response: { 200: QuoteResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'add a line to', async (quote, current) => {
        requireDraft(quote);
        const em = orm.em.fork();
        const added = await resolveLine(em, request.body, 'line', current.content.currency);
        const base = { ...current.content, lines: [...current.content.lines, added] };
        const version = priceVersion(base, config, (await em.findOneOrFail(Customer, { id: quote.customerId })).timeZone, new Date());
        return handle(quote.workflowId).executeUpdate(updateQuoteDraftUpdate, { args: [{ baseHash: current.contentHash, version, by: actor(request) }] });
      }),
  );

  app.delete(
    '/v1/quotes/:id/lines/:line_id',
    {
      config: write,
      schema: { tags: ['quotes'], summary: 'Remove a line from a draft quote', params: LineParams, response: { 200: QuoteResource, '4xx': ErrorSchema } },
    },
    async (request) =>
      change(request.params.id, 'remove a line from', async (quote, current) => {
        requireDraft(quote);
        if (!current.content.lines.some((l) => l.id === request.params.line_id)) throw notFound('quote line', request.params.line_id);
        const base = { ...current.content, lines: current.content.lines.filter((l) => l.id !== request.params.line_id) };
        const customer = await orm.em.fork().findOneOrFail(Customer, { id: quote.customerId });
        const version = priceVersion(base, config, customer.timeZone, new Date());
        return handle(quote.workflowId).executeUpdate(updateQuoteDraftUpdate, { args: [{ baseHash: current.contentHash, version, by: actor(request) }] });
      }),
  );

  app.post(
    '/v1/quotes/:id/send',
    {
      config: write,
      schema: {
        tags: ['quotes'],
        summary: 'Send a draft to its customer signers',
        description: 'Each customer signer is emailed an acceptance link. Above the discount threshold the quote waits for an admin to approve it first.',
        params: IdParams,
        response: { 200: QuoteResource, '4xx': ErrorSchema },
      },
    },
    async (request) => change(request.params.id, 'send', (quote) => handle(quote.workflowId).executeUpdate(sendQuoteUpdate, { args: [{ by: actor(request) }] })),
  );

  app.post(
    '/v1/quotes/:id/approve',
    {
      config: admin,
      schema: { tags: ['quotes'], summary: 'Approve a quote whose discount is above the threshold; it is sent', params: IdParams, response: { 200: QuoteResource, '4xx': ErrorSchema } },
    },
    async (request) => change(request.params.id, 'approve', (quote) => handle(quote.workflowId).executeUpdate(approveQuoteUpdate, { args: [{ by: actor(request) }] })),
  );

  app.post(
    '/v1/quotes/:id/reject',
    {
      config: admin,
      schema: {
        tags: ['quotes'],
        summary: 'Refuse the approval; the quote goes back to draft',
        params: IdParams,
        body: RejectBody,
        response: { 200: QuoteResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'reject', (quote) =>
        handle(quote.workflowId).executeUpdate(rejectQuoteUpdate, { args: [{ by: actor(request), reason: request.body.reason }] }),
      ),
  );

  app.post(
    '/v1/quotes/:id/revise',
    {
      config: write,
      schema: {
        tags: ['quotes'],
        summary: 'Revise a sent quote: a new version supersedes the current one',
        description:
          'Same fields as updating a draft. The new version gets the next number and a new content_hash; signatures of the old version no longer count. ' +
          'It is approved again if its discount needs it, and re-sent to the customer signers.',
        params: IdParams,
        body: ReviseQuote,
        response: { 200: QuoteResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'revise', async (quote, current) => {
        if (!['pending_approval', 'sent', 'signing'].includes(quote.stage)) {
          throw conflict('quote_not_revisable', `Only a sent quote can be revised (quote ${quote.id} is ${quote.stage}).`);
        }
        const { reason, ...changes } = request.body;
        const version = await nextVersion(quote, current, changes, current.content.version + 1, request);
        return handle(quote.workflowId).executeUpdate(reviseQuoteUpdate, {
          args: [{ baseHash: current.contentHash, version, by: actor(request), reason: reason ?? null }],
        });
      }),
  );

  app.post(
    '/v1/quotes/:id/void',
    {
      config: write,
      schema: { tags: ['quotes'], summary: 'Void a quote that is not accepted yet', params: IdParams, body: ReasonBody, response: { 200: QuoteResource, '4xx': ErrorSchema } },
    },
    async (request) =>
      change(request.params.id, 'void', (quote) =>
        handle(quote.workflowId).executeUpdate(voidQuoteUpdate, { args: [{ by: actor(request), reason: request.body?.reason ?? null }] }),
      ),
  );

  app.post(
    '/v1/quotes/:id/countersign',
    {
      config: write,
      schema: {
        tags: ['quotes'],
        summary: 'Countersign as the internal signer bound to the calling API key',
        description:
          'The signer is the internal signer of the current version bound to this API key (signers[].api_key); the body names no one. ' +
          'A key bound to no internal signer of the quote is a 403. content_hash is the version signed. Records the key, IP and user agent.',
        params: IdParams,
        body: SignBody,
        response: { 200: QuoteResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'countersign', (quote, current) => {
        const keyId = request.apiKey?.id ?? null;
        const signer = current.content.signing.signers.find((s) => s.kind === 'internal' && keyId !== null && s.apiKeyId === keyId);
        if (!signer) throw new ApiError(403, 'permission_error', 'not_a_signer', `This API key is not an internal signer of quote ${quote.id}.`);
        return handle(quote.workflowId).executeUpdate(signQuoteUpdate, {
          args: [{ signerId: signer.id, linkId: null, linkVersion: null, apiKeyId: keyId, ip: request.ip, userAgent: userAgentOf(request), contentHash: request.body.content_hash }],
        });
      }),
  );

  app.get(
    '/v1/onboarding-tasks',
    {
      config: read,
      schema: {
        tags: ['quotes'],
        summary: 'List onboarding tasks (one per paid quote), newest first',
        querystring: Type.Object(
          {
            ...ListQuery,
            customer: Type.Optional(Type.String({ maxLength: 64 })),
            quote: Type.Optional(Type.String({ maxLength: 64 })),
            status: Type.Optional(Type.Enum(['open', 'done'])),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(OnboardingTaskResource, 'OnboardingTask'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { customer, quote, status, starting_after } = request.query;
      const limit = request.query.limit ?? 10;
      const where = definedOnly({ customerId: customer, quoteId: quote, status });
      const em = orm.em.fork();
      const rows = await em.find(OnboardingTask, { $and: [where, await cursorFilter(em, OnboardingTask, starting_after)] }, { orderBy: { id: 'desc' }, limit: limit + 1 });
      return { object: 'list' as const, data: rows.slice(0, limit).map(onboardingTaskResource), has_more: rows.length > limit };
    },
  );

  app.get(
    '/v1/onboarding-tasks/:id',
    { config: read, schema: { tags: ['quotes'], summary: 'Retrieve an onboarding task', params: IdParams, response: { 200: OnboardingTaskResource, '4xx': ErrorSchema } } },
    async (request) => {
      const task = await orm.em.fork().findOne(OnboardingTask, { id: request.params.id });
      if (!task) throw notFound('onboarding task', request.params.id);
      return onboardingTaskResource(task);
    },
  );
};
