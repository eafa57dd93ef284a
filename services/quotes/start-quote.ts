/**
 * Setting up a new quote: its records and its workflow (`quote-<id>`). Used by `POST /v1/quotes`
 * (and the quote tests, which start quotes as the API does). Like services/subscriptions/start-subscription.ts:
 * the caller adds the records in its own transaction, then starts the workflow.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Quote, QuoteVersion } from '../../db/entities';
import { newId } from '../../db/ids';
import { computeQuoteTotals, requiresApproval, type QuoteContent } from '../../domain/quote';
import { quoteContentHash } from '../../domain/quote-hash';
import { quoteWorkflowId, type QuoteVersionInput, type QuoteWorkflowInput } from '../../workflows/quote/contract';
import type { quoteWorkflow } from '../../workflows/quote/workflow';
import { BillingStatusAttribute, CustomerIdAttribute } from '../../workflows/shared/search-attributes';

/** A version as the workflow takes it: priced, hashed, and checked against the approval threshold. */
export function quoteVersionInput(content: QuoteContent, approvalThresholdPpm: number): QuoteVersionInput {
  const totals = computeQuoteTotals(content);
  return { content, contentHash: quoteContentHash(content), totals, requiresApproval: requiresApproval(totals, approvalThresholdPpm) };
}

/** Adds the quote row (stage `draft`) and its first version in the caller's transaction. */
export async function addQuoteRecords(
  em: EntityManager,
  { version, accountManagerEmail, metadata, now }: { version: QuoteVersionInput; accountManagerEmail: string | null; metadata: Record<string, string>; now: Date },
): Promise<Quote> {
  const { content, contentHash, totals } = version;
  const quote = em.create(Quote, {
    id: content.quoteId,
    customerId: content.customer.id,
    ownerName: content.owner.name,
    ownerEmail: content.owner.email,
    accountManagerEmail,
    title: content.title,
    currency: content.currency,
    stage: 'draft',
    version: content.version,
    contentHash,
    expiresAt: new Date(content.expiresAt),
    oneTimeTotal: totals.oneTime.total,
    discountPpm: totals.discountPpm,
    requiresApproval: version.requiresApproval,
    paymentMode: content.payment.oneTime,
    waitingFor: 'sales to finish the draft and send it',
    invoiceId: null,
    instalmentPlanId: null,
    subscriptionIds: [],
    timeline: [],
    approvedBy: null,
    approvedAt: null,
    acceptedAt: null,
    fulfilledAt: null,
    declinedAt: null,
    declineReason: null,
    voidedAt: null,
    voidReason: null,
    expiredAt: null,
    workflowId: quoteWorkflowId(content.quoteId),
    metadata,
    createdAt: now,
    updatedAt: now,
  });
  await em.flush();
  em.create(QuoteVersion, { id: newId('quoteVersion'), quoteId: quote.id, version: content.version, content, contentHash, totals, createdAt: now, supersededAt: null });
  await em.flush();
  return quote;
}

/** Starts the quote's workflow. One per quote, ever: a second start throws WorkflowExecutionAlreadyStartedError. */
export async function startQuoteWorkflow(temporal: Client, taskQueue: string, input: QuoteWorkflowInput): Promise<WorkflowHandle<typeof quoteWorkflow>> {
  return temporal.workflow.start<typeof quoteWorkflow>('quoteWorkflow', {
    taskQueue,
    workflowId: quoteWorkflowId(input.quoteId),
    args: [input],
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: CustomerIdAttribute, value: input.customerId },
      { key: BillingStatusAttribute, value: 'draft' },
    ],
  });
}
