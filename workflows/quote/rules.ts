/**
 * What may be done to a quote in each stage. Pure: the workflow's update validators run the same
 * functions its handlers apply, so a change that cannot apply is rejected before it reaches history,
 * and the API answers with the rule's code (409 for the quote's state, 422 for the request itself).
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { SIGNABLE_STAGES, type QuoteSigner, type QuoteStage } from '../../domain/quote';
import type {
  DeclineQuoteRequest,
  LegacySignQuoteRequest,
  QuoteState,
  QuoteVersionInput,
  ReviseQuoteRequest,
  SignQuoteRequest,
  UpdateDraftRequest,
} from './contract';

/** The failure type the API maps to a 409/422 with `code` (the failure's first detail). */
export const QUOTE_RULE_FAILURE = 'QuoteRuleError';

/** Codes that mean "not in this state" (409); every other code is a request breaking a rule (422). */
export const QUOTE_STATE_CODES: ReadonlySet<string> = new Set([
  'quote_not_draft',
  'quote_changed',
  'quote_not_pending_approval',
  'quote_not_revisable',
  'quote_closed',
  'quote_expired',
  'quote_not_signable',
  'version_superseded',
  'content_hash_mismatch',
  'already_signed',
  'out_of_order',
  'link_superseded',
]);

export class QuoteRuleError extends Error {
  override readonly name = 'QuoteRuleError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Runs a rule; a broken rule becomes the failure Temporal returns to the caller of the update. */
export function asQuoteRuleFailure<T>(rule: () => T): T {
  try {
    return rule();
  } catch (err) {
    if (err instanceof QuoteRuleError) {
      throw ApplicationFailure.create({ type: QUOTE_RULE_FAILURE, message: err.message, details: [err.code], nonRetryable: true });
    }
    throw err;
  }
}

const OPEN_STAGES: readonly QuoteStage[] = ['draft', 'pending_approval', 'sent', 'signing'];

export const isOpen = (stage: QuoteStage): boolean => OPEN_STAGES.includes(stage);
export const isSignable = (stage: QuoteStage): boolean => SIGNABLE_STAGES.includes(stage);

/** Past its expiry date: the timer may not have fired yet, but nothing may be signed any more. */
export const isPastExpiry = (state: QuoteState, now: number): boolean => now >= Date.parse(state.version.content.expiresAt);

function requireNotExpired(state: QuoteState, now: number): void {
  if (state.stage === 'expired' || (isOpen(state.stage) && isPastExpiry(state, now))) {
    throw new QuoteRuleError(`the quote expired on ${state.version.content.expiresAt}`, 'quote_expired');
  }
}

function requireFutureExpiry(version: QuoteVersionInput, now: number): void {
  if (Date.parse(version.content.expiresAt) <= now) throw new QuoteRuleError('expires_at must be in the future', 'expiry_in_past');
}

export function updateDraftRule(state: QuoteState, request: UpdateDraftRequest): void {
  if (state.stage !== 'draft') throw new QuoteRuleError(`only a draft can be edited (the quote is ${state.stage}); revise it instead`, 'quote_not_draft');
  if (request.baseHash !== state.version.contentHash) throw new QuoteRuleError('the quote changed since it was read; read it again and retry', 'quote_changed');
  if (request.version.content.version !== state.version.content.version) throw new QuoteRuleError('a draft edit keeps the version number', 'version_mismatch');
}

export function sendRule(state: QuoteState, now: number): void {
  if (state.stage !== 'draft') throw new QuoteRuleError(`only a draft can be sent (the quote is ${state.stage})`, 'quote_not_draft');
  requireNotExpired(state, now);
  const signers = state.version.content.signing.signers;
  if (!signers.some((s) => s.kind === 'customer')) throw new QuoteRuleError('the quote has no customer signer', 'no_customer_signer');
  if (state.version.content.lines.length === 0) throw new QuoteRuleError('the quote has no lines', 'quote_empty');
}

export function approvalRule(state: QuoteState): void {
  if (state.stage !== 'pending_approval') throw new QuoteRuleError(`the quote is not waiting for approval (it is ${state.stage})`, 'quote_not_pending_approval');
}

export function reviseRule(state: QuoteState, request: ReviseQuoteRequest, now: number): void {
  requireNotExpired(state, now);
  if (!['pending_approval', 'sent', 'signing'].includes(state.stage)) {
    throw new QuoteRuleError(`only a sent quote can be revised (the quote is ${state.stage})`, 'quote_not_revisable');
  }
  if (request.baseHash !== state.version.contentHash) throw new QuoteRuleError('the quote changed since it was read; read it again and retry', 'quote_changed');
  if (request.version.content.version !== state.version.content.version + 1) {
    throw new QuoteRuleError(`a revision is version ${state.version.content.version + 1}`, 'version_mismatch');
  }
  requireFutureExpiry(request.version, now);
  if (request.version.content.lines.length === 0) throw new QuoteRuleError('the quote has no lines', 'quote_empty');
}

export function voidRule(state: QuoteState): void {
  if (!isOpen(state.stage)) throw new QuoteRuleError(`the quote is ${state.stage} and can no longer be voided`, 'quote_closed');
}

/** Signatures on the current version that still count. */
export const currentSignatures = (state: QuoteState) =>
  state.signatures.filter((s) => !s.superseded && s.contentHash === state.version.contentHash);

/** Signers who have not signed the current version yet, in order. */
export const pendingSigners = (state: QuoteState): QuoteSigner[] => {
  const signed = new Set(currentSignatures(state).map((s) => s.signerId));
  return state.version.content.signing.signers.filter((s) => !signed.has(s.id));
};

/** A request in the shape before signers were bound to their credential (replayed histories only). */
export const isLegacySignRequest = (request: SignQuoteRequest | LegacySignQuoteRequest): request is LegacySignQuoteRequest => !('signerId' in request);

/** The checks every signature passes first: not expired, signable, and the current version's hash. */
function requireSignableVersion(state: QuoteState, contentHash: string, now: number): void {
  requireNotExpired(state, now);
  if (!isSignable(state.stage)) throw new QuoteRuleError(`the quote cannot be signed (it is ${state.stage})`, 'quote_not_signable');
  if (contentHash !== state.version.contentHash) {
    if (state.supersededHashes.includes(contentHash)) {
      throw new QuoteRuleError(`that version of the quote was superseded by version ${state.version.content.version}; review the current version and sign it`, 'version_superseded');
    }
    throw new QuoteRuleError('content_hash does not match the current version of the quote', 'content_hash_mismatch');
  }
}

/** Already signed, or (sequential signing) not this signer's turn. The messages name nobody else. */
function requireSignersTurn(state: QuoteState, signer: QuoteSigner): void {
  if (currentSignatures(state).some((s) => s.signerId === signer.id)) throw new QuoteRuleError('you already signed this version', 'already_signed');
  if (state.version.content.signing.order === 'sequential') {
    const next = pendingSigners(state)[0];
    if (next && next.id !== signer.id) throw new QuoteRuleError('signatures go in order and another signer signs before you', 'out_of_order');
  }
}

/**
 * The signer a signature request is for; throws the rule it breaks. The signer is the one the
 * credential identifies: a customer's link names one signer of one version, an internal signer is
 * the one bound to the calling API key. Refusals never name another signer.
 */
export function signRule(state: QuoteState, request: SignQuoteRequest | LegacySignQuoteRequest, now: number): QuoteSigner {
  if (isLegacySignRequest(request)) throw new QuoteRuleError('a signature must come through the signer’s own link or API key', 'signer_not_bound');
  requireSignableVersion(state, request.contentHash, now);
  const signer = state.version.content.signing.signers.find((s) => s.id === request.signerId);
  if (request.linkId !== null) {
    if (request.linkVersion !== state.version.content.version) {
      throw new QuoteRuleError(`this link was sent for version ${request.linkVersion}; use the link sent with version ${state.version.content.version}`, 'link_superseded');
    }
    if (!signer || signer.kind !== 'customer') throw new QuoteRuleError('this link is not a signer’s link for this quote', 'not_a_signer');
  } else {
    if (!signer || signer.kind !== 'internal' || request.apiKeyId === null || signer.apiKeyId !== request.apiKeyId) {
      throw new QuoteRuleError('this API key is not an internal signer of this quote', 'not_a_signer');
    }
  }
  requireSignersTurn(state, signer);
  return signer;
}

/**
 * The rule as it was when the body named the signer: kept for replaying histories of quotes signed
 * before signers were bound (see LegacySignQuoteRequest), never for a new request.
 */
export function legacySignRule(state: QuoteState, request: LegacySignQuoteRequest, now: number): QuoteSigner {
  requireSignableVersion(state, request.contentHash, now);
  const email = request.email.trim().toLowerCase();
  const signer = state.version.content.signing.signers.find((s) => s.kind === request.kind && s.email.toLowerCase() === email);
  if (!signer) throw new QuoteRuleError('not a signer of this quote', 'not_a_signer');
  requireSignersTurn(state, signer);
  return signer;
}

export function declineRule(state: QuoteState, request: DeclineQuoteRequest, now: number): void {
  requireNotExpired(state, now);
  if (!isSignable(state.stage)) throw new QuoteRuleError(`the quote cannot be declined (it is ${state.stage})`, 'quote_not_signable');
  if (request.reason !== null && request.reason.length > 1000) throw new QuoteRuleError('reason is longer than 1000 characters', 'reason_too_long');
}
