/**
 * The TypeBox schemas of `/v1/quotes` and `/v1/public/quotes`: the resources they answer (the
 * customer's public view shares the content fields) and the request bodies. Shapes only: what each
 * field means in billing terms is built in services/quotes/.
 */
import { Type } from 'typebox';
import { INTERVAL_UNITS } from '../../domain/frequency';
import { PAYMENT_TERMS } from '../../domain/payment-terms';
import { PERCENTAGE_PATTERN } from '../../domain/pricing';
import { MAX_INSTALMENTS } from '../../domain/instalment-schedule';
import { QUOTE_PAYMENT_MODES, QUOTE_STAGES } from '../../domain/quote';
import { DEFAULT_QUOTE_VALIDITY_DAYS } from '../../services/quotes/build-quote-content';
import { CurrencyCode, Metadata, Nullable, PaymentMethodId, Timestamp } from '../schemas';

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

// ---- request bodies ---------------------------------------------------------------------------

const Percentage = Type.String({ pattern: PERCENTAGE_PATTERN, description: 'Percent as a decimal string, up to 4 decimals: "20", "12.5"' });
const EmailAddress = Type.String({ format: 'email', maxLength: 254 });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Person = Type.Object({ name: Name, email: EmailAddress }, { additionalProperties: false });

export const LineInput = Type.Object(
  {
    price: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A catalog price; recurring prices start subscriptions on payment' })),
    description: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: "Required without price; default the product's name" })),
    unit_amount: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: "Minor units; required without price; default the price's" })),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Default 1' })),
  },
  { additionalProperties: false, description: 'From a price, or free text (one-time) with description and unit_amount' },
);

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

export const CreateQuote = Type.Object(
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

export const UpdateQuote = Type.Object(ContentInput, { additionalProperties: false });
export const ReviseQuote = Type.Object({ ...ContentInput, reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });
export const ReasonBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });
export const RejectBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });
/** Names no signer: who signs is who the credential (the signer's link, or the API key) identifies. */
export const SignBody = Type.Object(
  { content_hash: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'The content_hash of the version being signed' }) },
  { additionalProperties: false },
);
export const LineParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), line_id: Type.String({ minLength: 1, maxLength: 64 }) });

export const QuotePreview = Type.Object(
  { object: Type.Literal('quote_preview'), currency: Type.String(), totals: Totals, requires_approval: Type.Boolean(), lines: Type.Array(QuoteLineResource) },
  { $id: 'QuotePreview' },
);
