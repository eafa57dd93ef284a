/**
 * Quote records as the API shows them: the sales view (`Quote`), the customer's view behind an
 * acceptance link (`PublicQuote`, no ids of signers or keys) and a preview's totals. Both views share
 * the content fields of the current version.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { type Quote, QuoteSignature, QuoteVersion } from '../../db/entities';
import { formatPercentage } from '../../domain/pricing';
import type { QuoteContent } from '../../domain/quote';
import type { QuoteVersionInput } from '../../workflows/quote/contract';
import { iso } from '../schemas';

export interface QuoteRecords {
  quote: Quote;
  version: QuoteVersion;
  signatures: QuoteSignature[];
}

/** Quotes with their current version and signatures, in two queries whatever the page size. */
export async function loadQuoteRecords(em: EntityManager, quotes: Quote[]): Promise<QuoteRecords[]> {
  if (quotes.length === 0) return [];
  const ids = quotes.map((q) => q.id);
  const versions = await em.find(QuoteVersion, { quoteId: { $in: ids } });
  const signatures = await em.find(QuoteSignature, { quoteId: { $in: ids } }, { orderBy: { signedAt: 'asc' } });
  return quotes.map((quote) => ({
    quote,
    version: versions.find((v) => v.quoteId === quote.id && v.version === quote.version)!,
    signatures: signatures.filter((s) => s.quoteId === quote.id),
  }));
}

const intervalOf = (i: { unit: string; count: number }) => ({ interval: i.unit, interval_count: i.count });

function contentFields({ quote, version }: QuoteRecords) {
  const c = version.content;
  const t = version.totals;
  return {
    title: c.title,
    currency: c.currency.toLowerCase(),
    version: c.version,
    content_hash: version.contentHash,
    lines: c.lines.map((l) => ({
      id: l.id,
      description: l.description,
      price: l.priceId,
      unit_amount: l.unitAmount,
      quantity: l.quantity,
      amount: l.unitAmount * l.quantity,
      recurring: l.recurring ? intervalOf(l.recurring) : null,
    })),
    discounts: c.discounts.map((d, i) => ({
      coupon: d.couponId,
      description: d.description ?? null,
      percent_off: d.type === 'percentage' ? formatPercentage(d.ratePpm) : null,
      amount_off: d.type === 'fixed_amount' ? d.amount : null,
      amount: t.oneTime.discounts[i] ?? 0,
    })),
    fees: c.fees.map((f, i) => ({
      description: f.description,
      percentage: f.type === 'percentage' ? formatPercentage(f.ratePpm) : null,
      amount: t.oneTime.fees[i] ?? 0,
      taxable: f.taxable,
    })),
    tax_rates: c.taxRates.map((r, i) => ({
      id: r.id,
      display_name: r.displayName,
      percentage: formatPercentage(r.ratePpm),
      inclusive: r.inclusive,
      amount: t.oneTime.taxes[i]?.amount ?? 0,
    })),
    totals: {
      one_time: {
        subtotal: t.oneTime.subtotal,
        discount_total: t.oneTime.discountTotal,
        fee_total: t.oneTime.feeTotal,
        tax_total: t.oneTime.taxTotal,
        total: t.oneTime.total,
      },
      recurring: t.recurring.map((r) => ({ ...intervalOf(r.interval), subtotal: r.subtotal, tax_total: r.taxTotal, total: r.total })),
      discount_percent: formatPercentage(t.discountPpm),
    },
    expires_at: iso(quote.expiresAt)!,
    terms: c.terms,
    notes: c.notes,
    payment: {
      one_time: c.payment.oneTime,
      payment_terms: c.payment.paymentTerms,
      schedule: c.payment.schedule
        ? {
            count: c.payment.schedule.count,
            ...intervalOf(c.payment.schedule.interval),
            down_payment: c.payment.schedule.downPayment,
          }
        : null,
      subscription_start_date: c.payment.subscriptionStartDate,
    },
  };
}

const signedNow = ({ quote, signatures }: QuoteRecords) =>
  new Set(signatures.filter((s) => !s.superseded && s.version === quote.version).map((s) => s.signerId));

export function quoteResource(records: QuoteRecords) {
  const { quote, version, signatures } = records;
  const signed = signedNow(records);
  return {
    id: quote.id,
    object: 'quote' as const,
    customer: quote.customerId,
    stage: quote.stage,
    waiting_for: quote.waitingFor,
    owner: { name: quote.ownerName, email: quote.ownerEmail },
    account_manager_email: quote.accountManagerEmail,
    ...contentFields(records),
    requires_approval: quote.requiresApproval,
    signing: {
      order: version.content.signing.order,
      signers: version.content.signing.signers.map((s) => ({ id: s.id, kind: s.kind, name: s.name, email: s.email, api_key: s.apiKeyId ?? null, signed: signed.has(s.id) })),
    },
    signatures: signatures.map((s) => ({
      signer: s.signerId,
      kind: s.kind,
      name: s.name,
      email: s.email,
      link: s.linkId,
      api_key: s.apiKeyId,
      ip: s.ip,
      user_agent: s.userAgent,
      signed_at: iso(s.signedAt)!,
      version: s.version,
      content_hash: s.contentHash,
      superseded: s.superseded,
    })),
    invoice: quote.invoiceId,
    instalment_plan: quote.instalmentPlanId,
    subscriptions: quote.subscriptionIds,
    timeline: quote.timeline,
    approved_by: quote.approvedBy,
    approved_at: iso(quote.approvedAt),
    accepted_at: iso(quote.acceptedAt),
    fulfilled_at: iso(quote.fulfilledAt),
    declined_at: iso(quote.declinedAt),
    decline_reason: quote.declineReason,
    voided_at: iso(quote.voidedAt),
    void_reason: quote.voidReason,
    expired_at: iso(quote.expiredAt),
    workflow_id: quote.workflowId,
    metadata: quote.metadata,
    created_at: iso(quote.createdAt)!,
  };
}

export function publicQuoteResource(records: QuoteRecords) {
  const { quote, version } = records;
  const signed = signedNow(records);
  return {
    id: quote.id,
    object: 'quote' as const,
    stage: quote.stage,
    customer_name: version.content.customer.name,
    owner: { name: quote.ownerName, email: quote.ownerEmail },
    ...contentFields(records),
    signing: {
      order: version.content.signing.order,
      signers: version.content.signing.signers.map((s) => ({ kind: s.kind, name: s.name, signed: signed.has(s.id) })),
    },
  };
}

/** A priced version not written anywhere, shown as its lines and totals would be once created. */
export function quotePreviewResource(content: QuoteContent, version: QuoteVersionInput) {
  const shown = contentFields({ quote: { expiresAt: new Date(content.expiresAt) } as Quote, version: { ...version, content } as unknown as QuoteVersion, signatures: [] });
  return { object: 'quote_preview' as const, currency: shown.currency, totals: shown.totals, requires_approval: version.requiresApproval, lines: shown.lines };
}
