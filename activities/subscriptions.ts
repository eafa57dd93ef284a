import type { ActivityDeps } from './deps';
import { Subscription, SubscriptionPlanChange, type CancellationReason, type PendingUpdate, type SubscriptionStatus } from '../db/entities';
import { recordNotFound } from './errors';

export interface SubscriptionStateRecord {
  subscriptionId: string;
  status: Exclude<SubscriptionStatus, 'incomplete'>;
  currentPeriod: { index: number; start: string; end: string } | null;
  nextBillingDate: string | null;
  cancelAtPeriodEnd: boolean;
  pausedAt: string | null;
  canceledAt: string | null;
  // Absent in activity inputs recorded before trials, terms and scheduled pauses.
  cancellationReason?: CancellationReason | null;
  scheduledPause?: { pauseAt: string; resumeAt: string | null } | null;
  resumeAt?: string | null;
  currentTerm?: { index: number; start: string; end: string } | null;
  /** The plan change recorded for the end of the current period. */
  scheduledPlanChangeId?: string | null;
}

const toDate = (iso: string | null): Date | null => (iso === null ? null : new Date(iso));

/** Writes the workflow's lifecycle state to the subscriptions read model. The workflow is the only writer. */
export function subscriptionActivities({ orm }: ActivityDeps) {
  return {
    async recordSubscriptionState(record: SubscriptionStateRecord): Promise<void> {
      // One UPDATE instead of load, change and flush (select, begin, update, commit): it runs twice
      // per billing period for every subscription, and the workflow is the row's only writer.
      const em = orm.em.fork();
      let pendingUpdate: PendingUpdate | null = null;
      if (record.scheduledPlanChangeId && record.currentPeriod) {
        const change = await em.findOne(SubscriptionPlanChange, { id: record.scheduledPlanChangeId });
        if (change?.status === 'scheduled') {
          pendingUpdate = {
            planChangeId: change.id,
            itemId: change.subscriptionItemId,
            priceId: change.toPriceId,
            quantity: change.toQuantity,
            effectiveAt: record.currentPeriod.end,
          };
        }
      }
      const updated = await em.nativeUpdate(
        Subscription,
        { id: record.subscriptionId },
        {
          status: record.status,
          currentPeriodIndex: record.currentPeriod?.index ?? null,
          currentPeriodStart: toDate(record.currentPeriod?.start ?? null),
          currentPeriodEnd: toDate(record.currentPeriod?.end ?? null),
          nextBillingDate: toDate(record.nextBillingDate),
          cancelAtPeriodEnd: record.cancelAtPeriodEnd,
          pausedAt: toDate(record.pausedAt),
          canceledAt: toDate(record.canceledAt),
          cancellationReason: record.cancellationReason ?? null,
          pauseScheduledAt: toDate(record.scheduledPause?.pauseAt ?? null),
          // A scheduled pause's resume date shows before the pause starts, so the customer sees the whole plan.
          resumeAt: toDate(record.resumeAt ?? record.scheduledPause?.resumeAt ?? null),
          currentTermIndex: record.currentTerm?.index ?? null,
          currentTermStart: toDate(record.currentTerm?.start ?? null),
          currentTermEnd: toDate(record.currentTerm?.end ?? null),
          pendingUpdate,
          updatedAt: new Date(),
        },
      );
      if (updated === 0) throw recordNotFound('subscription', record.subscriptionId);
    },
  };
}
