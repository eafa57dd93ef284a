/**
 * What the acceptance page says about where the quote stands for the signer behind the link: their
 * own signature ("Signed by Ada Lovelace on Mar 7, 2027"), whose signatures are still missing, or that
 * the quote was accepted, declined, expired or withdrawn. Worded from the quote's records, so the page
 * says the same after a reload as right after the signer acted.
 */
import type { Formatters } from '../i18n';
import type { QuoteVersionView } from '../../services/quotes/quote-link-view';

/** A string of the `quote` section and its values; the template words it (the company's name comes from the page's brand). */
export interface Notice {
  tone: 'success' | 'info' | 'error';
  key: string;
  vars?: Record<string, string>;
}

export function quoteNotices(view: QuoteVersionView, { date }: Formatters): Notice[] {
  const on = (instant: Date | null) => (instant ? date(instant, view.timeZone) : '');
  const notices: Notice[] = [];
  const me = view.linkSigner;
  if (me.signedAt) notices.push({ tone: 'success', key: 'quote.signedBy', vars: { name: me.name, date: on(me.signedAt) } });
  switch (view.state) {
    case 'accepted':
      notices.push({ tone: 'success', key: 'quote.accepted', vars: { date: on(view.acceptedAt) } });
      break;
    case 'declined':
      notices.push({ tone: 'error', key: 'quote.declined', vars: { date: on(view.declinedAt) } });
      if (view.declineReason) notices.push({ tone: 'info', key: 'quote.declineReasonShown', vars: { reason: view.declineReason } });
      break;
    case 'expired':
      notices.push({ tone: 'error', key: 'quote.expired', vars: { date: on(view.expiresAt) } });
      break;
    case 'voided':
      notices.push({ tone: 'error', key: 'quote.voided' });
      break;
    case 'not_sent':
      notices.push({ tone: 'info', key: 'quote.notSent' });
      break;
    case 'waiting_for_others': {
      const missing = view.signers.filter((s) => s.signedAt === null);
      const onlyCountersignature = missing.length > 0 && missing.every((s) => s.kind === 'internal');
      if (onlyCountersignature) notices.push({ tone: 'info', key: 'quote.waitingForCountersignature', vars: {} });
      else if (me.signedAt) notices.push({ tone: 'info', key: 'quote.waitingForOthers' });
      else notices.push({ tone: 'info', key: 'quote.notYourTurn' });
      break;
    }
    case 'can_sign':
      break;
  }
  return notices;
}

/** The workflow's or the link's refusal, in words the signer can act on; by its code, a general one otherwise. */
const FAILURES: Record<string, string> = {
  quote_expired: 'quote.failExpired',
  quote_closed: 'quote.failClosed',
  quote_not_signable: 'quote.failClosed',
  already_signed: 'quote.failAlreadySigned',
  out_of_order: 'quote.failOutOfOrder',
  link_superseded: 'quote.failSuperseded',
  version_superseded: 'quote.failSuperseded',
  content_hash_mismatch: 'quote.failSuperseded',
  lock_timeout: 'quote.failBusy',
};

export const failureNotice = (code: string): Notice => ({ tone: 'error', key: FAILURES[code] ?? 'quote.failGeneric' });
