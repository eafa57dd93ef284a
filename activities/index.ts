import type { ActivityDeps } from './deps';
import { chargingActivities } from './charging';
import { collectionActivities } from './collection';
import { invoicingActivities } from './invoicing';
import { notificationActivities } from './notifications';
import { subscriptionActivities } from './subscriptions';
import { refundActivities } from './refunds';
import { instalmentPlanActivities } from './instalment-plans';
import { planChangeActivities } from './plan-changes';
import { quoteActivities } from './quotes';
import { subscriptionNoticeActivities } from './subscription-notices';
import { portalSignInActivities } from './portal-sign-in';
import { checkoutActivities } from './checkout';

/** Every activity the billing workflows call, built from injected dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...subscriptionActivities(deps),
    ...invoicingActivities(deps),
    ...chargingActivities(deps),
    ...collectionActivities(deps),
    ...notificationActivities(deps),
    ...refundActivities(deps),
    ...instalmentPlanActivities(deps),
    ...planChangeActivities(deps),
    ...quoteActivities(deps),
    ...subscriptionNoticeActivities(deps),
    ...portalSignInActivities(deps),
    ...checkoutActivities(deps),
  };
}

export type BillingActivities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
export type { ChargeInvoiceResult } from './charging';
export type { InvoiceSummary } from './invoicing';
export type { SubscriptionStateRecord } from './subscriptions';
