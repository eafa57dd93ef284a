/**
 * The acceptance page's two forms, read and checked before anything reaches the quote's workflow: a
 * signature needs the signer's full name typed as the quote names them and the consent box ticked; a
 * decline takes an optional reason. A field at fault comes back with its message, and the page shows
 * it next to the field (nothing is recorded).
 */
import type { Translate } from '../i18n';

export type FieldErrors = Record<string, string>;

export type SignForm = { ok: true; contentHash: string } | { ok: false; errors: FieldErrors; values: { name: string; consent: boolean } };
export type DeclineForm = { ok: true; reason: string | null } | { ok: false; errors: FieldErrors; values: { reason: string } };

const MAX_NAME = 200;
/** The JSON route's limit on a decline reason. */
const MAX_REASON = 1000;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Names compared as people write them: spacing, letter case and compatibility forms do not matter. */
const normalName = (name: string): string => name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('en');

/**
 * The sign form. The typed name must be the signer's name on the quote (the link already says who
 * signs: the name is the signer confirming it is them), and the consent box must be ticked.
 */
export function readSignForm(body: unknown, signerName: string, t: Translate): SignForm {
  const fields = (body ?? {}) as Record<string, unknown>;
  const name = text(fields.name).slice(0, MAX_NAME * 2);
  const consent = text(fields.consent) === 'yes';
  const contentHash = text(fields.content_hash);
  const errors: FieldErrors = {};
  if (name.trim() === '') errors.name = t('quote.nameRequired');
  else if (normalName(name) !== normalName(signerName)) errors.name = t('quote.nameMismatch', { name: signerName });
  if (!consent) errors.consent = t('quote.consentRequired');
  if (!/^[0-9a-f]{64}$/.test(contentHash)) errors.form = t('quote.reload');
  return Object.keys(errors).length > 0 ? { ok: false, errors, values: { name, consent } } : { ok: true, contentHash };
}

export function readDeclineForm(body: unknown, t: Translate): DeclineForm {
  const reason = text(((body ?? {}) as Record<string, unknown>).reason).trim();
  if (reason.length > MAX_REASON) return { ok: false, errors: { reason: t('quote.reasonTooLong', { max: MAX_REASON }) }, values: { reason } };
  return { ok: true, reason: reason === '' ? null : reason };
}
