/**
 * What may be done to a quote in each stage. Pure: the workflow's update validators run the same
 * functions its handlers apply, so a change that cannot apply is rejected before it reaches history,
 * and the API answers with the rule's code (domain/rule-violation.ts gives each code its kind: 409 for
 * the quote's state, 422 for the request itself).
 */
import { RuleViolation } from '../../domain/rule-violation';
import { SIGNABLE_STAGES, type QuoteSigner, type QuoteStage } from '../../domain/quote';
import { RULE_FAILURE_TYPES, failingAs } from '../shared/rule-failure';
import type {
  DeclineQuoteRequest,
  LegacySignQuoteRequest,
  QuoteState,
  QuoteVersionInput,
  ReviseQuoteRequest,
  SignQuoteRequest,
  UpdateDraftRequest,
} from './contract';

/** The failure type a broken quote rule reaches the caller as (workflows/shared/rule-failure.ts). */
export const QUOTE_RULE_FAILURE = RULE_FAILURE_TYPES.quote;

/** Runs a rule; a broken rule becomes the failure Temporal returns to the caller of the update. */
export const asQuoteRuleFailure = <T>(rule: () => T): T => failingAs(QUOTE_RULE_FAILURE, rule);

const OPEN_STAGES: readonly QuoteStage[] = ['draft', 'pending_approval', 'sent', 'signing'];

export const isOpen = (stage: QuoteStage): boolean => OPEN_STAGES.includes(stage);
export const isSignable = (stage: QuoteStage): boolean => SIGNABLE_STAGES.includes(stage);

/** Past its expiry date: the timer may not have fired yet, but nothing may be signed any more. */
export const isPastExpiry = (state: QuoteState, now: number): boolean => now >= Date.parse(state.version.content.expiresAt);

function requireNotExpired(state: QuoteState, now: number): void {
  if (state.stage === 'expired' || (isOpen(state.stage) && isPastExpiry(state, now))) {
    throw new RuleViolation('quote_expired', `the quote expired on ${state.version.content.expiresAt}`);
  }
}

function requireFutureExpiry(version: QuoteVersionInput, now: number): void {
  if (Date.parse(version.content.expiresAt) <= now) throw new RuleViolation('expiry_in_past', 'expires_at must be in the future');
}

export function updateDraftRule(state: QuoteState, request: UpdateDraftRequest): void {
  if (state.stage !== 'draft') throw new RuleViolation('quote_not_draft', `only a draft can be edited (the quote is ${state.stage}); revise it instead`);
  if (request.baseHash !== state.version.contentHash) throw new RuleViolation('quote_changed', 'the quote changed since it was read; read it again and retry');
  if (request.version.content.version !== state.version.content.version) throw new RuleViolation('version_mismatch', 'a draft edit keeps the version number');
}

export function sendRule(state: QuoteState, now: number): void {
  if (state.stage !== 'draft') throw new RuleViolation('quote_not_draft', `only a draft can be sent (the quote is ${state.stage})`);
  requireNotExpired(state, now);
  const signers = state.version.content.signing.signers;
  if (!signers.some((s) => s.kind === 'customer')) throw new RuleViolation('no_customer_signer', 'the quote has no customer signer');
  if (state.version.content.lines.length === 0) throw new RuleViolation('quote_empty', 'the quote has no lines');
}

export function approvalRule(state: QuoteState): void {
  if (state.stage !== 'pending_approval') throw new RuleViolation('quote_not_pending_approval', `the quote is not waiting for approval (it is ${state.stage})`);
}

export function reviseRule(state: QuoteState, request: ReviseQuoteRequest, now: number): void {
  requireNotExpired(state, now);
  if (!['pending_approval', 'sent', 'signing'].includes(state.stage)) {
    throw new RuleViolation('quote_not_revisable', `only a sent quote can be revised (the quote is ${state.stage})`);
  }
  if (request.baseHash !== state.version.contentHash) throw new RuleViolation('quote_changed', 'the quote changed since it was read; read it again and retry');
  if (request.version.content.version !== state.version.content.version + 1) {
    throw new RuleViolation('version_mismatch', `a revision is version ${state.version.content.version + 1}`);
  }
  requireFutureExpiry(request.version, now);
  if (request.version.content.lines.length === 0) throw new RuleViolation('quote_empty', 'the quote has no lines');
}

export function voidRule(state: QuoteState): void {
  if (!isOpen(state.stage)) throw new RuleViolation('quote_closed', `the quote is ${state.stage} and can no longer be voided`);
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
  if (!isSignable(state.stage)) throw new RuleViolation('quote_not_signable', `the quote cannot be signed (it is ${state.stage})`);
  if (contentHash !== state.version.contentHash) {
    if (state.supersededHashes.includes(contentHash)) {
      throw new RuleViolation('version_superseded', `that version of the quote was superseded by version ${state.version.content.version}; review the current version and sign it`);
    }
    throw new RuleViolation('content_hash_mismatch', 'content_hash does not match the current version of the quote');
  }
}

/** Already signed, or (sequential signing) not this signer's turn. The messages name nobody else. */
function requireSignersTurn(state: QuoteState, signer: QuoteSigner): void {
  if (currentSignatures(state).some((s) => s.signerId === signer.id)) throw new RuleViolation('already_signed', 'you already signed this version');
  if (state.version.content.signing.order === 'sequential') {
    const next = pendingSigners(state)[0];
    if (next && next.id !== signer.id) throw new RuleViolation('out_of_order', 'signatures go in order and another signer signs before you');
  }
}

/**
 * The signer a signature request is for; throws the rule it breaks. The signer is the one the
 * credential identifies: a customer's link names one signer of one version, an internal signer is
 * the one bound to the calling API key. Refusals never name another signer.
 */
export function signRule(state: QuoteState, request: SignQuoteRequest | LegacySignQuoteRequest, now: number): QuoteSigner {
  if (isLegacySignRequest(request)) throw new RuleViolation('signer_not_bound', 'a signature must come through the signer’s own link or API key');
  requireSignableVersion(state, request.contentHash, now);
  const signer = state.version.content.signing.signers.find((s) => s.id === request.signerId);
  if (request.linkId !== null) {
    if (request.linkVersion !== state.version.content.version) {
      throw new RuleViolation('link_superseded', `this link was sent for version ${request.linkVersion}; use the link sent with version ${state.version.content.version}`);
    }
    if (!signer || signer.kind !== 'customer') throw new RuleViolation('not_a_signer', 'this link is not a signer’s link for this quote');
  } else {
    if (!signer || signer.kind !== 'internal' || request.apiKeyId === null || signer.apiKeyId !== request.apiKeyId) {
      throw new RuleViolation('not_a_signer', 'this API key is not an internal signer of this quote');
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
  if (!signer) throw new RuleViolation('not_a_signer', 'not a signer of this quote');
  requireSignersTurn(state, signer);
  return signer;
}

export function declineRule(state: QuoteState, request: DeclineQuoteRequest, now: number): void {
  requireNotExpired(state, now);
  if (!isSignable(state.stage)) throw new RuleViolation('quote_not_signable', `the quote cannot be declined (it is ${state.stage})`);
  if (request.reason !== null && request.reason.length > 1000) throw new RuleViolation('reason_too_long', 'reason is longer than 1000 characters');
}
