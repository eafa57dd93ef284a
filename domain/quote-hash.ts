/**
 * The SHA-256 of a quote version's canonical JSON (domain/quote.ts): what every signature records.
 * Kept apart from domain/quote.ts because it needs Node's crypto, which workflow code may not import.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, type QuoteContent } from './quote';

export function quoteContentHash(content: QuoteContent): string {
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}

/** An acceptance link's token as stored: only its SHA-256. */
export function linkTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
