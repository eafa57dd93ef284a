/**
 * A quote version's content from what the caller asked for: the changes applied to the current
 * version (or to the defaults for a new quote), every catalog reference resolved. The defaults of a
 * new quote: valid DEFAULT_QUOTE_VALIDITY_DAYS, signed by the customer alone, in sequence, charged now.
 *
 * Refusals are RuleViolations (input refusals, domain/rule-violation.ts), answered by their kind and code
 * in api/workflow-errors.ts.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { QuoteContent, QuoteLine } from '../../domain/quote';
import { fieldViolation } from '../../domain/rule-violation';
import { resolveQuoteLine } from './resolve-quote-line';
import { resolveQuoteDiscounts, resolveQuoteFees, resolveQuoteTaxRates } from './resolve-quote-adjustments';
import { resolveQuotePayment } from './resolve-quote-payment';
import { resolveQuoteSigners } from './resolve-quote-signers';
import type { QuoteContentChanges, QuoteCustomer } from './quote-input';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Quotes expire this long after creation unless `expires_at` says otherwise. */
export const DEFAULT_QUOTE_VALIDITY_DAYS = 30;

/**
 * The next content: `changes` applied to `base` (or to the defaults for a new quote), with every
 * catalog reference resolved. Lines given replace the lines; every other field replaces its own.
 */
export async function buildQuoteContent(
  em: EntityManager,
  {
    quoteId,
    version,
    customer,
    base,
    changes,
    now,
    callerKeyId,
  }: { quoteId: string; version: number; customer: QuoteCustomer; base: QuoteContent | null; changes: QuoteContentChanges; now: Date; callerKeyId: string | null },
): Promise<QuoteContent> {
  const currency = customer.currency;
  const lines: QuoteLine[] = [];
  if (changes.lines) for (const [i, line] of changes.lines.entries()) lines.push(await resolveQuoteLine(em, line, `lines[${i}]`, currency));
  const expiresAt = changes.expires_at !== undefined ? new Date(changes.expires_at).toISOString() : (base?.expiresAt ?? new Date(now.getTime() + DEFAULT_QUOTE_VALIDITY_DAYS * DAY_MS).toISOString());
  if (Date.parse(expiresAt) <= now.getTime()) throw fieldViolation('expires_at', 'expires_at must be in the future.');
  const owner = changes.owner ? { name: changes.owner.name, email: changes.owner.email.toLowerCase() } : base?.owner;
  if (!owner) throw fieldViolation('owner', 'owner is required.');
  const signers = changes.signers || !base ? await resolveQuoteSigners(em, changes.signers, customer, callerKeyId) : base.signing.signers;
  return {
    quoteId,
    version,
    title: changes.title ?? base?.title ?? `Quote for ${customer.name}`,
    currency,
    customer: { id: customer.id, name: customer.name, email: customer.email },
    owner,
    lines: changes.lines ? lines : (base?.lines ?? []),
    discounts: changes.discounts ? await resolveQuoteDiscounts(em, changes.discounts, currency, now) : (base?.discounts ?? []),
    fees: changes.fees ? resolveQuoteFees(changes.fees) : (base?.fees ?? []),
    taxRates: changes.tax_rates ? await resolveQuoteTaxRates(em, changes.tax_rates) : (base?.taxRates ?? []),
    expiresAt,
    terms: changes.terms !== undefined ? changes.terms : (base?.terms ?? null),
    notes: changes.notes !== undefined ? changes.notes : (base?.notes ?? null),
    payment: changes.payment ? resolveQuotePayment(changes.payment, now) : (base?.payment ?? resolveQuotePayment({}, now)),
    signing: { order: changes.signing_order ?? base?.signing.order ?? 'sequential', signers },
  };
}
