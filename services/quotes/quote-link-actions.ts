/**
 * What a customer signer does through their emailed link: find the quote the token belongs to, sign
 * it, or decline it. The JSON routes (`/v1/public/quotes/:token`) and the acceptance page
 * (`/quotes/:token`) both go through here, so a signature or a refusal is the same whichever way it
 * came. The token is the credential: only its SHA-256 is stored, and it names one customer signer of
 * one version, so the signer is never taken from the request. The change itself reaches the quote's
 * workflow through the caller's `send` (the API's one way to update a workflow), whose errors are the
 * caller's to answer.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { UpdateDefinition } from '@temporalio/common';
import { Quote, QuoteLink } from '../../db/entities';
import { FINAL_STAGES } from '../../domain/quote';
import { linkTokenHash } from '../../domain/quote-hash';
import { RuleViolation } from '../../domain/rule-violation';
import { declineQuoteUpdate, signQuoteUpdate, type QuoteView } from '../../workflows/quote/contract';

/** A signer's link and the quote it belongs to. */
export interface QuoteLinkRecords {
  link: QuoteLink;
  quote: Quote;
}

/** Sends one update to a workflow and answers its result (api/route-deps.ts `updateWorkflow`). */
export type QuoteUpdateSender = <Ret, Args extends unknown[]>(workflowId: string, update: UpdateDefinition<Ret, Args>, args: Args) => Promise<Ret>;

/** Who signs, as the signature records it besides the link: the caller's address and browser. */
export interface SignerCaller {
  ip: string;
  userAgent: string | null;
}

/** The link behind `token` and its quote; null for a token that never existed (or whose quote is gone). */
export async function findQuoteLink(em: EntityManager, token: string): Promise<QuoteLinkRecords | null> {
  const link = await em.findOne(QuoteLink, { tokenHash: linkTokenHash(token) });
  if (!link) return null;
  const quote = await em.findOne(Quote, { id: link.quoteId });
  return quote ? { link, quote } : null;
}

/** A closed quote takes no signature and no decline: refused here, before its workflow is asked. */
function requireNotClosed(quote: Quote): void {
  if (FINAL_STAGES.includes(quote.stage)) {
    throw new RuleViolation(quote.stage === 'expired' ? 'quote_expired' : 'quote_closed', `this quote is ${quote.stage}`);
  }
}

/**
 * Signs the version whose hash the signer was shown, as the link's signer. The workflow checks the
 * hash against the current version and the link's version (a superseded one is refused).
 */
export async function signThroughLink(send: QuoteUpdateSender, { link, quote }: QuoteLinkRecords, caller: SignerCaller, contentHash: string): Promise<QuoteView> {
  requireNotClosed(quote);
  return send(quote.workflowId, signQuoteUpdate, [
    { signerId: link.signerId, linkId: link.id, linkVersion: link.version, apiKeyId: null, ip: caller.ip, userAgent: caller.userAgent, contentHash },
  ]);
}

/** Declines the quote as the link's signer; the reason is optional. */
export async function declineThroughLink(send: QuoteUpdateSender, { link, quote }: QuoteLinkRecords, reason: string | null): Promise<QuoteView> {
  requireNotClosed(quote);
  return send(quote.workflowId, declineQuoteUpdate, [{ name: null, email: link.signerEmail, reason }]);
}
