import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Subscription, type CollectionMethod, type SubscriptionFeeRecord } from '../db/entities';
import type { IntervalUnit } from '../domain/frequency';
import { subscriptionWorkflowId, type SubscriptionWorkflowInput } from '../workflows/subscription/contract';
import { BillingStatusAttribute, CustomerIdAttribute } from '../workflows/search-attributes';

/** A subscription as the API or a quote decided it; already validated against the catalog and the customer. */
export interface NewSubscription {
  id: string;
  customerId: string;
  timeZone: string;
  currency: string;
  intervalUnit: IntervalUnit;
  intervalCount: number;
  /** What is billed every period; unit amounts are copied from the prices so catalog edits never re-price it. */
  items: { priceId: string; quantity: number; unitAmount: number }[];
  collectionMethod: CollectionMethod;
  /** Also the billing anchor: period n starts n intervals after it. */
  startDate: Date;
  metadata: Record<string, string>;
  couponId?: string | null;
  defaultTaxRateIds?: string[];
  fees?: SubscriptionFeeRecord[];
  now: Date;
}

/**
 * Adds the subscription's row (status `incomplete`) to `em`; the caller flushes it, with whatever must
 * commit alongside (a coupon redemption, a quote's record of what it started).
 */
export function addSubscriptionRecord(em: EntityManager, spec: NewSubscription): Subscription {
  if (spec.items.length !== 1) throw new Error('a subscription holds exactly one item');
  const [item] = spec.items;
  return em.create(Subscription, {
    id: spec.id,
    customerId: spec.customerId,
    priceId: item!.priceId,
    quantity: item!.quantity,
    currency: spec.currency,
    unitAmount: item!.unitAmount,
    intervalUnit: spec.intervalUnit,
    intervalCount: spec.intervalCount,
    status: 'incomplete',
    collectionMethod: spec.collectionMethod,
    billingAnchor: spec.startDate,
    timeZone: spec.timeZone,
    startDate: spec.startDate,
    currentPeriodIndex: null,
    currentPeriodStart: null,
    currentPeriodEnd: null,
    nextBillingDate: spec.startDate,
    cancelAtPeriodEnd: false,
    canceledAt: null,
    pausedAt: null,
    workflowId: subscriptionWorkflowId(spec.id),
    metadata: spec.metadata,
    // A coupon given at creation counts from period 0, the first period billed.
    couponId: spec.couponId ?? null,
    discountStartPeriod: spec.couponId ? 0 : null,
    discountAppliedAt: spec.couponId ? spec.now : null,
    defaultTaxRateIds: spec.defaultTaxRateIds ?? [],
    fees: spec.fees ?? [],
    createdAt: spec.now,
    updatedAt: spec.now,
  });
}

/** The workflow input for a recorded subscription. */
export function subscriptionWorkflowInput(subscription: Subscription): SubscriptionWorkflowInput {
  return {
    subscriptionId: subscription.id,
    customerId: subscription.customerId,
    billingAnchor: subscription.billingAnchor.toISOString(),
    timeZone: subscription.timeZone,
    interval: { unit: subscription.intervalUnit, count: subscription.intervalCount },
  };
}

/**
 * Starts the billing workflow of a recorded subscription. Idempotent: a retried request or activity
 * finds the workflow already started (workflow id = `subscription-<id>`) and does nothing.
 * Returns false when it was already running.
 */
export async function startSubscriptionWorkflow(temporal: Client, taskQueue: string, subscription: Subscription): Promise<boolean> {
  try {
    await temporal.workflow.start('subscriptionWorkflow', {
      taskQueue,
      workflowId: subscription.workflowId,
      args: [subscriptionWorkflowInput(subscription)],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: CustomerIdAttribute, value: subscription.customerId },
        { key: BillingStatusAttribute, value: 'incomplete' },
      ],
    });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}
