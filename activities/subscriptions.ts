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
      const em = orm.em.fork();
      const subscription = await em.findOne(Subscription, { id: record.subscriptionId });
      if (!subscription) throw recordNotFound('subscription', record.subscriptionId);
      subscription.status = record.status;
      subscription.currentPeriodIndex = record.currentPeriod?.index ?? null;
      subscription.currentPeriodStart = toDate(record.currentPeriod?.start ?? null);
      subscription.currentPeriodEnd = toDate(record.currentPeriod?.end ?? null);
      subscription.nextBillingDate = toDate(record.nextBillingDate);
      subscription.cancelAtPeriodEnd = record.cancelAtPeriodEnd;
      subscription.pausedAt = toDate(record.pausedAt);
      subscription.canceledAt = toDate(record.canceledAt);
      subscription.updatedAt = new Date();
      await em.flush();
    },
  };
}
