import { EntitySchema } from '@mikro-orm/core';
import { timestamptz } from './columns';

/**
 * A customer's request to cancel a subscription. With CANCELLATION_REQUESTS=approval (the default) it
 * waits for an operator to approve (the subscription is then canceled as requested) or reject it;
 * with `immediate` it is approved as it is made.
 */
export class CancellationRequest {
  id!: string;
  subscriptionId!: string;
  customerId!: string;
  reason!: string | null;
  comment!: string | null;
  /** Cancel at the end of the paid period (true) or at once. */
  atPeriodEnd!: boolean;
  status!: 'pending' | 'approved' | 'rejected';
  decidedAt!: Date | null;
  decisionNote!: string | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const CancellationRequestSchema = new EntitySchema<CancellationRequest>({
  class: CancellationRequest,
  tableName: 'subscription_cancellation_requests',
  properties: {
    id: { type: 'string', primary: true },
    subscriptionId: { type: 'string' },
    customerId: { type: 'string' },
    reason: { type: 'string', nullable: true },
    comment: { type: 'text', nullable: true },
    atPeriodEnd: { type: 'boolean' },
    status: { type: 'string' },
    decidedAt: timestamptz(true),
    decisionNote: { type: 'text', nullable: true },
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});
