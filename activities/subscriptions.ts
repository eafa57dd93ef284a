import type { ActivityDeps } from './deps';
import { Subscription, type SubscriptionStatus } from '../db/entities';
import { recordNotFound } from './errors';

export interface SubscriptionStateRecord {
  subscriptionId: string;
  status: Exclude<SubscriptionStatus, 'incomplete'>;
  currentPeriod: { index: number; start: string; end: string } | null;
  nextBillingDate: string | null;
  cancelAtPeriodEnd: boolean;
  pausedAt: string | null;
  canceledAt: string | null;
}

const toDate = (iso: string | null): Date | null => (iso === null ? null : new Date(iso));

/** Writes the workflow's lifecycle state to the subscriptions read model. The workflow is the only writer. */
export function subscriptionActivities({ orm }: ActivityDeps) {
  return {
    async recordSubscriptionState(record: SubscriptionStateRecord): Promise<void> {
      // One UPDATE instead of load, change and flush (select, begin, update, commit): it runs twice
      // per billing period for every subscription, and the workflow is the row's only writer.
      const updated = await orm.em.fork().nativeUpdate(
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
          updatedAt: new Date(),
        },
      );
      if (updated === 0) throw recordNotFound('subscription', record.subscriptionId);
    },
  };
}
