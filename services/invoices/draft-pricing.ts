/**
 * Turning a draft invoice request into priced lines: catalog prices resolved, discounts, fees and tax
 * rates parsed, terms and currency checked, then priced by invoice-records.ts (which subscription
 * invoices share). Refusals are RuleViolations naming the request field (the API's field names).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, Price, Product } from '../../db/entities';
import { MoneyError } from '../../domain/money';
import { parsePercentage, type DiscountInput, type FeeInput, type TaxRateInput } from '../../domain/pricing';
import { defaultPaymentTerms, type PaymentTerms } from '../../domain/payment-terms';
import { Refusal, invalidInput, missingReference } from '../../domain/rule-violation';
import { priceInvoice, type PricedInvoice } from './invoice-records';

export type CollectionMethod = 'charge_automatically' | 'send_invoice';

/** A draft's lines: a catalog price, or a description and a unit amount; quantity 1 unless given. */
export interface DraftLineRequest {
  price?: string;
  description?: string;
  unit_amount?: number;
  quantity?: number;
}

/** What a draft is priced from (the API's field names; percentages are decimal strings such as "8.875"). */
export interface DraftInput {
  lines: DraftLineRequest[];
  /** Exactly one of percent_off or amount_off each, applied in order. */
  discounts?: { description?: string; percent_off?: string; amount_off?: number }[];
  /** Exactly one of amount or percentage (of the discounted subtotal) each. */
  fees?: { description: string; amount?: number; percentage?: string; taxable?: boolean }[];
  tax_rates?: { display_name: string; percentage: string; inclusive?: boolean }[];
}

/** A new draft: its customer, and the currency, collection and terms asked for. */
export interface NewDraftRequest extends DraftInput {
  customer: string;
  currency?: string;
  collection_method?: CollectionMethod;
  payment_terms?: PaymentTerms;
  due_date?: string;
}

export interface ResolvedLine {
  description: string;
  priceId: string | null;
  unitAmount: number;
  quantity: number;
}

/** Persisted by the helpers in services/invoices/invoice-records.ts, which subscription invoices share. */
type PricedDraft = PricedInvoice<ResolvedLine>;

async function resolveLines(em: EntityManager, lines: DraftInput['lines'], currency: string): Promise<ResolvedLine[]> {
  const priceIds = [...new Set(lines.flatMap((l) => (l.price === undefined ? [] : [l.price])))];
  const prices = new Map((priceIds.length ? await em.find(Price, { id: { $in: priceIds } }) : []).map((p) => [p.id, p]));
  const productIds = [...new Set([...prices.values()].map((p) => p.productId))];
  const products = new Map((productIds.length ? await em.find(Product, { id: { $in: productIds } }) : []).map((p) => [p.id, p]));

  return lines.map((line, i) => {
    const param = (field: string) => `lines[${i}][${field}]`;
    const quantity = line.quantity ?? 1;
    if (line.price !== undefined) {
      if (line.unit_amount !== undefined) throw invalidInput(param('unit_amount'), `Give ${param('price')} or ${param('unit_amount')}, not both.`);
      const price = prices.get(line.price);
      if (!price) throw missingReference(param('price'), 'price', line.price);
      if (!price.active) throw new Refusal('price_inactive', `Price ${price.id} is not active.`, param('price'));
      if (price.currency !== currency) {
        throw new Refusal(
          'currency_mismatch',
          `Price ${price.id} is in ${price.currency.toLowerCase()} but the invoice is in ${currency.toLowerCase()}.`,
          param('price'),
          'unprocessable',
        );
      }
      const product = products.get(price.productId);
      const label = `${product?.name ?? price.id}${price.nickname ? ` (${price.nickname})` : ''}`;
      return { description: line.description ?? label, priceId: price.id, unitAmount: price.unitAmount, quantity };
    }
    if (line.unit_amount === undefined) {
      throw invalidInput(param('price'), `Each line needs a price, or a description and a unit_amount (${param('price')}).`, 'parameter_missing');
    }
    if (line.description === undefined) {
      throw invalidInput(param('description'), `A line without a price needs a description (${param('description')}).`, 'parameter_missing');
    }
    return { description: line.description, priceId: null, unitAmount: line.unit_amount, quantity };
  });
}

function discountInputs(discounts: NonNullable<DraftInput['discounts']>): DiscountInput[] {
  return discounts.map((d, i) => {
    const has = [d.percent_off !== undefined, d.amount_off !== undefined].filter(Boolean).length;
    if (has !== 1) throw invalidInput(`discounts[${i}]`, `discounts[${i}] needs exactly one of percent_off or amount_off.`);
    const description = d.description ?? null;
    return d.percent_off !== undefined
      ? { type: 'percentage', ratePpm: parsePercentage(d.percent_off, `discounts[${i}][percent_off]`), description }
      : { type: 'fixed_amount', amount: d.amount_off!, description };
  });
}

function feeInputs(fees: NonNullable<DraftInput['fees']>): FeeInput[] {
  return fees.map((f, i) => {
    const has = [f.percentage !== undefined, f.amount !== undefined].filter(Boolean).length;
    if (has !== 1) throw invalidInput(`fees[${i}]`, `fees[${i}] needs exactly one of amount or percentage.`);
    const taxable = f.taxable ?? false;
    return f.percentage !== undefined
      ? { type: 'percentage', ratePpm: parsePercentage(f.percentage, `fees[${i}][percentage]`), taxable, description: f.description }
      : { type: 'fixed_amount', amount: f.amount!, taxable, description: f.description };
  });
}

function taxRateInputs(rates: NonNullable<DraftInput['tax_rates']>): TaxRateInput[] {
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
export async function priceDraft(em: EntityManager, input: DraftInput, currency: string, keptLines?: ResolvedLine[]): Promise<PricedDraft> {
  try {
    const lines = keptLines ?? (await resolveLines(em, input.lines, currency));
    const discounts = discountInputs(input.discounts ?? []);
    const fees = feeInputs(input.fees ?? []);
    const taxRates = taxRateInputs(input.tax_rates ?? []);
    return priceInvoice({ currency, lines, discounts, fees, taxRates });
  } catch (err) {
    // A pricing input out of range answers for itself (PricingError, naming the field).
    if (err instanceof MoneyError) throw new Refusal('amount_too_large', `The invoice amounts are too large: ${err.message}.`);
    throw err;
  }
}

/** A date-time the schema accepted but JavaScript cannot represent (a leap second, say) is still a 400, never a 500. */
export function instant(param: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw invalidInput(param, `${param} is not a valid ISO 8601 instant.`);
  return date;
}

/** Payment terms and (custom) due date of a draft. */
export function resolveTerms(
  terms: PaymentTerms | undefined,
  dueDate: string | undefined,
  collectionMethod: CollectionMethod,
  now: Date,
): { paymentTerms: PaymentTerms; dueDate: Date | null } {
  if (dueDate !== undefined) {
    if (terms !== undefined && terms !== 'custom') throw invalidInput('due_date', `due_date goes with payment_terms=custom, not ${terms}.`);
    const due = instant('due_date', dueDate);
    if (due.getTime() <= now.getTime()) throw invalidInput('due_date', 'due_date must be in the future.');
    return { paymentTerms: 'custom', dueDate: due };
  }
  if (terms === 'custom') throw invalidInput('due_date', 'payment_terms=custom needs a due_date.', 'parameter_missing');
  return { paymentTerms: terms ?? defaultPaymentTerms(collectionMethod), dueDate: null };
}

export function resolveCurrency(customer: Customer, requested: string | undefined): string {
  if (requested === undefined) return customer.currency;
  const currency = requested.toUpperCase();
  if (currency !== customer.currency) {
    throw new Refusal(
      'currency_mismatch',
      `Customer ${customer.id} is billed in ${customer.currency.toLowerCase()}; an invoice in ${currency.toLowerCase()} cannot be created.`,
      'currency',
      'unprocessable',
    );
  }
  return currency;
}

/** What creating and previewing a draft share: the customer, currency, terms and exact totals of the body. */
export async function priceNewDraft(em: EntityManager, body: NewDraftRequest) {
  const customer = await em.findOne(Customer, { id: body.customer });
  if (!customer) throw missingReference('customer', 'customer', body.customer);
  const currency = resolveCurrency(customer, body.currency);
  const collectionMethod = body.collection_method ?? 'send_invoice';
  const now = new Date();
  const terms = resolveTerms(body.payment_terms, body.due_date, collectionMethod, now);
  const priced = await priceDraft(em, body, currency);
  return { customer, currency, collectionMethod, now, terms, priced };
}

export type NewDraft = Awaited<ReturnType<typeof priceNewDraft>>;
