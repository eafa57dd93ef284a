/**
 * A new quote priced without writing anything: the same customer, content and pricing as creating
 * it (services/quotes/create-quote.ts), so a preview answers what a create would.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { QuoteContent } from '../../domain/quote';
import type { QuoteVersionInput } from '../../workflows/quote/contract';
import type { QuoteConfig } from '../../config';
import { buildQuoteContent } from './build-quote-content';
import { priceQuoteVersion } from './price-quote-version';
import { resolveQuoteCustomer, type QuoteCustomerRequest } from './resolve-quote-customer';
import type { QuoteContentChanges } from './quote-input';

export async function previewQuote(
  em: EntityManager,
  { request, config, callerKeyId }: { request: QuoteCustomerRequest & QuoteContentChanges; config: QuoteConfig; callerKeyId: string | null },
): Promise<{ content: QuoteContent; version: QuoteVersionInput }> {
  const now = new Date();
  const { customer } = await resolveQuoteCustomer(em, request);
  const content = await buildQuoteContent(em, { quoteId: 'preview', version: 1, customer, base: null, changes: request, now, callerKeyId });
  return { content, version: priceQuoteVersion(content, config, customer.timeZone, now) };
}
