/**
 * The quote as the signer behind a link sees it: exactly the version the link was sent for, with its
 * lines, adjustments, totals, payment schedule and who has signed it, and what this signer may still
 * do. The acceptance page (web/quotes/) and the quote PDF (services/documents/quote-pdf.ts) both show
 * this. A link sent for a version that a revision replaced shows nothing of the quote any more: only
 * that a newer version exists (its own email carries the link to it).
 */
import type { BillingInterval } from '../../domain/frequency';
import { buildInstalmentSchedule } from '../../domain/instalment-schedule';
import { formatPercentage } from '../../domain/pricing';
import { SIGNABLE_STAGES, quoteScheduleInput, type QuoteContent, type QuoteStage, type QuoteTotals } from '../../domain/quote';
import type { QuoteLinkRead } from './quote-link-read';

export interface QuoteViewSigner {
  name: string;
  kind: 'customer' | 'internal';
  /** When they signed this version; null while they have not. */
  signedAt: Date | null;
  /** The signer the link was sent to. */
  isLinkSigner: boolean;
}

/** A discount, fee or tax as shown: its own description (null: none given), its rate if a percentage, what it took or added. */
export interface QuoteViewAdjustment {
  description: string | null;
  percent: string | null;
  /** Taxes only: already contained in the amounts. */
  inclusive: boolean;
  amount: number;
}

export interface QuoteViewInstalment {
  number: number;
  kind: 'down_payment' | 'instalment' | 'payoff';
  amount: number;
  /** Known once the quote is accepted (the first payment is due then); null before. */
  dueDate: Date | null;
}

/** What the signer may do now, or why not (the page words each case). */
export type QuoteLinkState =
  | 'can_sign' // the link's signer has not acted and it is their turn
  | 'waiting_for_others' // signed (or not their turn yet): other signatures are missing
  | 'accepted' // every signer signed: accepted, awaiting payment or fulfilled
  | 'declined'
  | 'expired'
  | 'voided'
  | 'not_sent'; // back in draft or waiting for approval: nothing to sign right now

export interface QuoteVersionView {
  quoteId: string;
  stage: QuoteStage;
  state: QuoteLinkState;
  content: QuoteContent;
  contentHash: string;
  totals: QuoteTotals;
  expiresAt: Date;
  timeZone: string;
  customer: { name: string; email: string };
  discounts: QuoteViewAdjustment[];
  fees: QuoteViewAdjustment[];
  taxes: QuoteViewAdjustment[];
  schedule: { interval: BillingInterval; instalments: QuoteViewInstalment[] } | null;
  signers: QuoteViewSigner[];
  /** The link's own signer, and their signature on this version if any. */
  linkSigner: QuoteViewSigner;
  acceptedAt: Date | null;
  declinedAt: Date | null;
  declineReason: string | null;
  createdAt: Date;
}

export type QuoteLinkView = { superseded: true; quoteId: string; version: number } | ({ superseded: false } & QuoteVersionView);

const ACCEPTED_STAGES: readonly QuoteStage[] = ['accepted', 'awaiting_payment', 'fulfilled'];

function linkState(stage: QuoteStage, expired: boolean, signers: QuoteViewSigner[], order: 'sequential' | 'any'): QuoteLinkState {
  if (ACCEPTED_STAGES.includes(stage)) return 'accepted';
  if (stage === 'declined' || stage === 'voided') return stage;
  if (stage === 'expired' || expired) return 'expired';
  if (!SIGNABLE_STAGES.includes(stage)) return 'not_sent';
  const me = signers.find((s) => s.isLinkSigner)!;
  if (me.signedAt) return 'waiting_for_others';
  const next = signers.find((s) => s.signedAt === null);
  return order === 'sequential' && next !== me ? 'waiting_for_others' : 'can_sign';
}

function scheduleOf(content: QuoteContent, totals: QuoteTotals, timeZone: string, acceptedAt: Date | null) {
  const spec = content.payment.oneTime === 'payment_schedule' ? content.payment.schedule : null;
  if (!spec) return null;
  // Before acceptance the dates are not known (the first payment is due on acceptance): amounts only.
  const first = (acceptedAt ?? new Date(content.expiresAt)).toISOString();
  const built = buildInstalmentSchedule(quoteScheduleInput(spec, content.currency, totals.oneTime.total, timeZone, first));
  return {
    interval: spec.interval,
    instalments: built.instalments.map((i) => ({ number: i.number, kind: i.kind, amount: i.amount, dueDate: acceptedAt ? new Date(i.dueDate) : null })),
  };
}

/**
 * The link's version of the quote as its signer sees it (from services/quotes/quote-link-read.ts),
 * `now` deciding whether it has expired.
 */
export function quoteLinkView({ link, quote, version, timeZone: zone, signatures }: QuoteLinkRead, now: Date): QuoteLinkView {
  if (link.version !== quote.version || !version) return { superseded: true, quoteId: quote.id, version: link.version };
  const timeZone = zone ?? 'UTC';
  const { content, totals } = version;
  const signers: QuoteViewSigner[] = content.signing.signers.map((s) => ({
    name: s.name,
    kind: s.kind,
    signedAt: signatures.find((sig) => sig.signerId === s.id)?.signedAt ?? null,
    isLinkSigner: s.id === link.signerId,
  }));
  const expired = now.getTime() >= quote.expiresAt.getTime();
  const percent = (ppm: number | undefined) => (ppm === undefined ? null : formatPercentage(ppm));
  return {
    superseded: false,
    quoteId: quote.id,
    stage: quote.stage,
    state: linkState(quote.stage, expired, signers, content.signing.order),
    content,
    contentHash: version.contentHash,
    totals,
    expiresAt: quote.expiresAt,
    timeZone,
    customer: { name: content.customer.name, email: content.customer.email },
    discounts: content.discounts.map((d, i) => ({
      description: d.description ?? null,
      percent: percent(d.type === 'percentage' ? d.ratePpm : undefined),
      inclusive: false,
      amount: totals.oneTime.discounts[i] ?? 0,
    })),
    fees: content.fees.map((f, i) => ({
      description: f.description,
      percent: percent(f.type === 'percentage' ? f.ratePpm : undefined),
      inclusive: false,
      amount: totals.oneTime.fees[i] ?? 0,
    })),
    taxes: content.taxRates.map((r, i) => ({ description: r.displayName, percent: percent(r.ratePpm), inclusive: r.inclusive, amount: totals.oneTime.taxes[i]?.amount ?? 0 })),
    schedule: scheduleOf(content, totals, timeZone, quote.acceptedAt),
    signers,
    linkSigner: signers.find((s) => s.isLinkSigner) ?? { name: link.signerEmail, kind: 'customer', signedAt: null, isLinkSigner: true },
    acceptedAt: quote.acceptedAt,
    declinedAt: quote.declinedAt,
    declineReason: quote.declineReason,
    createdAt: version.createdAt,
  };
}
