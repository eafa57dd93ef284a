/**
 * The quote's read model as the quote workflow sees it: the quote row, its versions and its
 * signatures. The workflow is the only writer (through the recordQuoteState activity).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { QuoteSignature, QuoteVersion } from '../../db/entities';
import { newId } from '../../db/ids';
import type { QuoteView } from '../../workflows/quote/contract';
import { lockQuote } from './quote-records';

export interface RecordQuoteStateInput {
  quoteId: string;
  state: QuoteView;
  /** Workflow time of the write (when a superseded version stopped counting). */
  recordedAt: string;
}

const toDate = (iso: string | null): Date | null => (iso === null ? null : new Date(iso));

export async function recordQuoteState(orm: MikroORM, { quoteId, state, recordedAt }: RecordQuoteStateInput): Promise<void> {
  await orm.em.fork().transactional(async (em) => {
    const quote = await lockQuote(em, quoteId);
    const { content, contentHash, totals, requiresApproval } = state.version;
    Object.assign(quote, {
      stage: state.stage,
      version: content.version,
      contentHash,
      title: content.title,
      ownerName: content.owner.name,
      ownerEmail: content.owner.email,
      expiresAt: new Date(content.expiresAt),
      oneTimeTotal: totals.oneTime.total,
      discountPpm: totals.discountPpm,
      requiresApproval,
      paymentMode: content.payment.oneTime,
      waitingFor: state.waitingFor,
      invoiceId: state.invoiceId,
      instalmentPlanId: state.instalmentPlanId,
      subscriptionIds: state.subscriptionIds,
      timeline: state.transitions,
      approvedBy: state.approvedBy,
      approvedAt: toDate(state.approvedAt),
      acceptedAt: toDate(state.acceptedAt),
      fulfilledAt: toDate(state.fulfilledAt),
      declinedAt: toDate(state.declinedAt),
      declineReason: state.declineReason,
      voidedAt: toDate(state.voidedAt),
      voidReason: state.voidReason,
      expiredAt: toDate(state.expiredAt),
      updatedAt: new Date(),
    });
    const row = await em.findOne(QuoteVersion, { quoteId, version: content.version });
    if (!row) {
      em.create(QuoteVersion, { id: newId('quoteVersion'), quoteId, version: content.version, content, contentHash, totals, createdAt: new Date(recordedAt), supersededAt: null });
    } else if (row.contentHash !== contentHash) {
      // A draft edit keeps the version number.
      Object.assign(row, { content, contentHash, totals });
    }
    await em.nativeUpdate(QuoteVersion, { quoteId, version: { $lt: content.version }, supersededAt: null }, { supersededAt: new Date(recordedAt) });
    const existing = new Map((await em.find(QuoteSignature, { quoteId })).map((s) => [`${s.version}:${s.signerId}`, s]));
    for (const s of state.signatures) {
      const known = existing.get(`${s.version}:${s.signerId}`);
      if (known) known.superseded = s.superseded;
      else {
        em.create(QuoteSignature, {
          id: newId('quoteSignature'),
          quoteId,
          version: s.version,
          contentHash: s.contentHash,
          signerId: s.signerId,
          kind: s.kind,
          name: s.name,
          email: s.email,
          linkId: s.linkId ?? null,
          apiKeyId: s.apiKeyId ?? null,
          ip: s.ip,
          userAgent: s.userAgent ?? null,
          signedAt: new Date(s.signedAt),
          superseded: s.superseded,
        });
      }
    }
  });
}
