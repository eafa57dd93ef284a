/**
 * Quotes: what a version says, what it totals, whether it needs approval, and the exact bytes a
 * signature binds to. Pure: no I/O, no clock, no randomness; amounts are integer minor units.
 *
 * Totals. A quote mixes one-time and recurring lines:
 *  - the one-time lines are priced as one invoice through domain/pricing.ts (`computeInvoiceTotals`):
 *    the quote's discounts and fees apply to them, then its tax rates. This is exactly the invoice
 *    issued when the quote is paid (or the total its payment schedule splits);
 *  - the recurring lines are grouped by billing interval; each group is priced with the tax rates
 *    only, as one period of the subscriptions the quote starts (which bill themselves, with the
 *    quote's catalog tax rates as their default tax rates). Quote discounts and fees never apply to
 *    recurring lines.
 *  The discount share (`discountPpm`) is the one-time discount total over the one-time subtotal, in
 *  millionths, rounded down; the approval gate compares it with the configured threshold.
 *
 * Version hash. A version's content is serialised as canonical JSON (object keys sorted at every
 * level, no whitespace, arrays in order, `undefined` members dropped) and hashed with SHA-256
 * (domain/quote-hash.ts). Any change to what the customer sees (a line, an amount, a date, the terms,
 * the signers, the version number) gives another hash, so a signature names exactly what was signed.
 */
import type { BillingInterval } from './frequency';
import { computeInvoiceTotals, PPM_PER_WHOLE, type DiscountInput, type FeeInput, type TaxRateInput } from './pricing';
import type { ScheduleInput } from './instalment-schedule';
import type { PaymentTerms } from './payment-terms';

export type QuoteStage =
  | 'draft'
  | 'pending_approval'
  | 'sent'
  | 'signing'
  | 'accepted'
  | 'awaiting_payment'
  | 'fulfilled'
  | 'declined'
  | 'expired'
  | 'voided';

export const QUOTE_STAGES: readonly QuoteStage[] = [
  'draft',
  'pending_approval',
  'sent',
  'signing',
  'accepted',
  'awaiting_payment',
  'fulfilled',
  'declined',
  'expired',
  'voided',
];

/** Stages in which the customer can still sign or decline. */
export const SIGNABLE_STAGES: readonly QuoteStage[] = ['sent', 'signing'];
/** Stages after which nothing changes any more. */
export const FINAL_STAGES: readonly QuoteStage[] = ['fulfilled', 'declined', 'expired', 'voided'];

export type QuotePaymentMode = 'charge_now' | 'send_invoice' | 'payment_schedule';
export const QUOTE_PAYMENT_MODES: readonly QuotePaymentMode[] = ['charge_now', 'send_invoice', 'payment_schedule'];

export type SigningOrder = 'sequential' | 'any';

/** One stage change, as the workflow recorded it: when, from what, to what and why. */
export interface QuoteTransition {
  at: string;
  from: QuoteStage | null;
  to: QuoteStage;
  reason: string;
  /** Who caused it (an email, `customer`, `system`). */
  by: string;
}

export interface QuoteLine {
  /** Stable across edits (`qli_...`), so a line can be removed by id. */
  id: string;
  description: string;
  /** The catalog price it was quoted from; null for a free-text line. */
  priceId: string | null;
  unitAmount: number;
  quantity: number;
  /** Null: charged once. Otherwise the price's interval (recurring lines always come from a price). */
  recurring: BillingInterval | null;
}

export type QuoteDiscount = DiscountInput & { couponId: string | null };

export interface QuoteTaxRate extends TaxRateInput {
  /** The catalog tax rate (`txr_...`). */
  id: string;
}

export interface QuoteSigner {
  /** Position-based and stable within a version: `signer_1`, `signer_2`, ... */
  id: string;
  kind: 'customer' | 'internal';
  name: string;
  email: string;
  /**
   * Internal signers only: the API key that countersigns as this signer (the key that created the
   * quote unless another was named). Nobody else can sign in their name; absent on customer signers,
   * whose own emailed link identifies them.
   */
  apiKeyId?: string;
}

/** How the one-time total is split when `payment.oneTime` is `payment_schedule`. */
export interface QuoteScheduleSpec {
  count: number;
  interval: BillingInterval;
  downPayment: { amount: number } | { percent: string } | null;
}

export interface QuotePayment {
  oneTime: QuotePaymentMode;
  /** Terms of the invoice for `send_invoice` (and of a schedule's instalment invoices). */
  paymentTerms: PaymentTerms;
  schedule: QuoteScheduleSpec | null;
  /** Subscriptions start here (ISO instant); null: when the quote is paid. */
  subscriptionStartDate: string | null;
}

/** Everything a version says: the hashed, signed content. */
export interface QuoteContent {
  quoteId: string;
  version: number;
  title: string;
  currency: string;
  customer: { id: string; name: string; email: string };
  owner: { name: string; email: string };
  lines: QuoteLine[];
  discounts: QuoteDiscount[];
  fees: FeeInput[];
  taxRates: QuoteTaxRate[];
  expiresAt: string;
  terms: string | null;
  notes: string | null;
  payment: QuotePayment;
  signing: { order: SigningOrder; signers: QuoteSigner[] };
}

export interface QuoteOneTimeTotals {
  subtotal: number;
  discountTotal: number;
  feeTotal: number;
  taxTotal: number;
  total: number;
  /** What each discount, fee and tax took or added, in the content's order. */
  discounts: number[];
  fees: number[];
  taxes: { displayName: string; inclusive: boolean; amount: number }[];
}

export interface QuoteRecurringTotals {
  interval: BillingInterval;
  subtotal: number;
  taxTotal: number;
  /** Billed every interval. */
  total: number;
}

export interface QuoteTotals {
  currency: string;
  oneTime: QuoteOneTimeTotals;
  recurring: QuoteRecurringTotals[];
  /** One-time discount total / one-time subtotal, in millionths (rounded down). */
  discountPpm: number;
}

export const isRecurring = (line: QuoteLine): boolean => line.recurring !== null;

const sameInterval = (a: BillingInterval, b: BillingInterval): boolean => a.unit === b.unit && a.count === b.count;

/** Recurring lines grouped by interval, in the order each interval first appears. */
export function recurringGroups(lines: readonly QuoteLine[]): { interval: BillingInterval; lines: QuoteLine[] }[] {
  const groups: { interval: BillingInterval; lines: QuoteLine[] }[] = [];
  for (const line of lines) {
    if (!line.recurring) continue;
    const group = groups.find((g) => sameInterval(g.interval, line.recurring!));
    if (group) group.lines.push(line);
    else groups.push({ interval: line.recurring, lines: [line] });
  }
  return groups;
}

/**
 * The quote's totals (see the rules at the top). Throws what computeInvoiceTotals throws:
 * PricingError for invalid input, MoneyError for amounts beyond what an invoice can hold.
 */
export function computeQuoteTotals(content: Pick<QuoteContent, 'currency' | 'lines' | 'discounts' | 'fees' | 'taxRates'>): QuoteTotals {
  const oneTimeLines = content.lines.filter((l) => !isRecurring(l));
  const oneTime = computeInvoiceTotals({
    currency: content.currency,
    lines: oneTimeLines,
    discounts: content.discounts,
    fees: content.fees,
    taxRates: content.taxRates,
  });
  const recurring = recurringGroups(content.lines).map((group) => {
    const totals = computeInvoiceTotals({ currency: content.currency, lines: group.lines, taxRates: content.taxRates });
    return { interval: group.interval, subtotal: totals.subtotal, taxTotal: totals.taxTotal, total: totals.total };
  });
  const discountPpm = oneTime.subtotal === 0 ? 0 : Number((BigInt(oneTime.discountTotal) * BigInt(PPM_PER_WHOLE)) / BigInt(oneTime.subtotal));
  return {
    currency: oneTime.currency,
    oneTime: {
      subtotal: oneTime.subtotal,
      discountTotal: oneTime.discountTotal,
      feeTotal: oneTime.feeTotal,
      taxTotal: oneTime.taxTotal,
      total: oneTime.total,
      discounts: oneTime.discounts.map((d) => d.amount),
      fees: oneTime.fees.map((f) => f.amount),
      taxes: oneTime.taxes.map((t) => ({ displayName: t.displayName, inclusive: t.inclusive, amount: t.amount })),
    },
    recurring,
    discountPpm,
  };
}

/** A quote needs an admin's approval before it is sent when its discount share is above the threshold. */
export function requiresApproval(totals: QuoteTotals, thresholdPpm: number): boolean {
  return totals.discountPpm > thresholdPpm;
}

/** The instalment schedule a `payment_schedule` quote asks for, for `total` from `firstPaymentDate`. */
export function quoteScheduleInput(spec: QuoteScheduleSpec, currency: string, total: number, timeZone: string, firstPaymentDate: string): ScheduleInput {
  return {
    currency,
    total,
    method: 'equal',
    timeZone,
    firstPaymentDate,
    count: spec.count,
    interval: spec.interval,
    downPayment: spec.downPayment ?? undefined,
  };
}

/**
 * Canonical JSON: keys sorted at every level, no whitespace, `undefined` members dropped. Two equal
 * contents always serialise to the same string, whatever order their keys were built in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonical JSON has no representation for a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
