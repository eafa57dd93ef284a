/**
 * The quote rows the quote workflow's operations read and lock. A row they rely on that is missing
 * is a MissingQuoteRecord: the activity calling the operation turns it into a failure Temporal does
 * not retry (activities/quotes.ts), since retrying cannot bring the row back.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Customer, Quote, QuoteVersion } from '../../db/entities';
import type { QuoteContent, QuoteTotals } from '../../domain/quote';
import { brandEmailView, loadBrand } from '../documents/brand';

export class MissingQuoteRecord extends Error {
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(`${kind} ${id} does not exist`);
    this.name = 'MissingQuoteRecord';
  }
}

/** The quote row locked for the rest of the caller's transaction: one "create once" step at a time. */
export async function lockQuote(em: EntityManager, quoteId: string): Promise<Quote> {
  const quote = await em.findOne(Quote, { id: quoteId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!quote) throw new MissingQuoteRecord('quote', quoteId);
  return quote;
}

/** The content and totals of the quote's current version. */
export async function currentQuoteVersion(em: EntityManager, quote: Quote): Promise<{ content: QuoteContent; totals: QuoteTotals }> {
  const row = await em.findOne(QuoteVersion, { quoteId: quote.id, version: quote.version });
  if (!row) throw new MissingQuoteRecord('quote version', `${quote.id}/${quote.version}`);
  return { content: row.content, totals: row.totals };
}

/** A quote with what its emails show: the customer, the current version and the company's brand. */
export async function loadQuoteForEmail(orm: MikroORM, quoteId: string) {
  const em = orm.em.fork();
  const quote = await em.findOne(Quote, { id: quoteId });
  if (!quote) throw new MissingQuoteRecord('quote', quoteId);
  const customer = await em.findOneOrFail(Customer, { id: quote.customerId });
  const { content, totals } = await currentQuoteVersion(em, quote);
  const brand = brandEmailView(await loadBrand(em));
  return { em, quote, customer, content, totals, brand };
}

export type QuoteForEmail = Awaited<ReturnType<typeof loadQuoteForEmail>>;
