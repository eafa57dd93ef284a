/** The records behind `/v1/cancellation-requests` as the API answers with them (the shapes are in ./schemas.ts). */
import { CancellationRequest } from '../../db/entities';
import { iso } from '../schemas';

export function cancellationRequestResource(r: CancellationRequest) {
  return {
    id: r.id,
    object: 'cancellation_request' as const,
    subscription: r.subscriptionId,
    customer: r.customerId,
    reason: r.reason,
    comment: r.comment,
    at_period_end: r.atPeriodEnd,
    status: r.status,
    decided_at: iso(r.decidedAt),
    decision_note: r.decisionNote,
    created_at: iso(r.createdAt)!,
  };
}
