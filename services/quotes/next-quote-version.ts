/**
 * A quote's next version, built from its current one: a draft edit keeps the version number, a
 * revision takes the next. Adding or removing one draft line reprices the rest as they are.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, type Quote, type QuoteVersion } from '../../db/entities';
import type { QuoteContent } from '../../domain/quote';
import type { QuoteVersionInput } from '../../workflows/quote/contract';
import type { QuoteConfig } from '../../config';
import { buildQuoteContent } from './build-quote-content';
import { priceQuoteVersion } from './price-quote-version';
import { resolveQuoteLine } from './resolve-quote-line';
import type { LineRequest, QuoteContentChanges } from './quote-input';

interface Current {
  quote: Quote;
  current: QuoteVersion;
  config: QuoteConfig;
}

/** The changes applied to the current content; the customer's name and email stay those quoted. */
export async function nextQuoteVersion(
  em: EntityManager,
  { quote, current, config, changes, versionNumber, callerKeyId }: Current & { changes: QuoteContentChanges; versionNumber: number; callerKeyId: string | null },
): Promise<QuoteVersionInput> {
  const customer = await em.findOneOrFail(Customer, { id: quote.customerId });
  const now = new Date();
  const content = await buildQuoteContent(em, {
    quoteId: quote.id,
    version: versionNumber,
    customer: { ...customer, name: current.content.customer.name, email: current.content.customer.email, currency: current.content.currency },
    base: current.content,
    changes,
    now,
    callerKeyId,
  });
  return priceQuoteVersion(content, config, customer.timeZone, now);
}

export async function draftWithLineAdded(em: EntityManager, { quote, current, config, line }: Current & { line: LineRequest }): Promise<QuoteVersionInput> {
  const added = await resolveQuoteLine(em, line, 'line', current.content.currency);
  const base: QuoteContent = { ...current.content, lines: [...current.content.lines, added] };
  return priceQuoteVersion(base, config, (await em.findOneOrFail(Customer, { id: quote.customerId })).timeZone, new Date());
}

/** The caller has checked that the line is on the current version (a 404 on the path otherwise). */
export async function draftWithLineRemoved(em: EntityManager, { quote, current, config, lineId }: Current & { lineId: string }): Promise<QuoteVersionInput> {
  const base: QuoteContent = { ...current.content, lines: current.content.lines.filter((l) => l.id !== lineId) };
  const customer = await em.findOneOrFail(Customer, { id: quote.customerId });
  return priceQuoteVersion(base, config, customer.timeZone, new Date());
}
