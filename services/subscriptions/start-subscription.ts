import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/postgresql';
import { MAX_SUBSCRIPTION_ITEMS, Subscription, SubscriptionItem, type CollectionMethod, type SubscriptionFeeRecord } from '../../db/entities';
import { newId } from '../../db/ids';
import { periodsPerTerm, type BillingInterval, type IntervalUnit } from '../../domain/frequency';
import { subscriptionWorkflowId, type SubscriptionWorkflowInput } from '../../workflows/subscription/contract';
import { BillingStatusAttribute, CustomerIdAttribute } from '../../workflows/shared/search-attributes';

/** A subscription as the API or a quote decided it; already validated against the catalog and the customer. */
export interface NewSubscription {
  id: string;
  customerId: string;
  timeZone: string;
  currency: string;
  intervalUnit: IntervalUnit;
  intervalCount: number;
  /**
   * What is billed every period, in this order: 1..20 distinct prices in `currency` on the interval. Unit
   * amounts are copied from the prices so catalog edits never re-price it.
   */
  items: { priceId: string; quantity: number; unitAmount: number }[];
  collectionMethod: CollectionMethod;
  /** When the subscription starts; also the billing anchor (period n starts n intervals after it) without a trial. */
  startDate: Date;
  /** A trial from `startDate` to `trialEnd`, where the first paid period begins (the billing anchor). */
  trialEnd?: Date | null;
  /** Without a trial: a billing anchor after `startDate` (the partial period before it is charged separately, or free). */
  billingAnchor?: Date | null;
  /** A commitment term (a whole number of billing periods) and what happens at its end. */
  commitment?: SubscriptionCommitment | null;
  metadata: Record<string, string>;
  couponId?: string | null;
  defaultTaxRateIds?: string[];
  fees?: SubscriptionFeeRecord[];
  now: Date;
}

/**
 * Adds the subscription's row (status `incomplete`) and its item rows to `em`; the caller flushes them,
 * with whatever must commit alongside (a coupon redemption, a quote's record of what it started).
 * The caller validated the items against the catalog; this refuses only what the tables would.
 */
export function addSubscriptionRecord(em: EntityManager, spec: NewSubscription): Subscription {
  if (spec.items.length < 1 || spec.items.length > MAX_SUBSCRIPTION_ITEMS) {
    throw new Error(`a subscription holds 1 to ${MAX_SUBSCRIPTION_ITEMS} items, got ${spec.items.length}`);
  }
  if (new Set(spec.items.map((item) => item.priceId)).size !== spec.items.length) throw new Error('a subscription holds each price once');
  const subscription = em.create(Subscription, {
    id: spec.id,
    customerId: spec.customerId,
    currency: spec.currency,
    intervalUnit: spec.intervalUnit,
    intervalCount: spec.intervalCount,
    status: 'incomplete',
    collectionMethod: spec.collectionMethod,
    billingAnchor: spec.trialEnd ?? spec.billingAnchor ?? spec.startDate,
    timeZone: spec.timeZone,
    startDate: spec.startDate,
    trialStart: spec.trialEnd ? spec.startDate : null,
    trialEnd: spec.trialEnd ?? null,
    commitmentIntervalUnit: spec.commitment?.interval.unit ?? null,
    commitmentIntervalCount: spec.commitment?.interval.count ?? null,
    commitmentRenewal: spec.commitment?.renewal ?? null,
    commitmentReminderDays: spec.commitment?.reminderDaysBefore ?? null,
    currentPeriodIndex: null,
    currentPeriodStart: null,
    currentPeriodEnd: null,
    nextBillingDate: spec.trialEnd ?? spec.billingAnchor ?? spec.startDate,
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
  spec.items.forEach((item, position) => {
    subscription.items.add(
      em.create(SubscriptionItem, {
        id: newId('subscriptionItem'),
        subscription,
        priceId: item.priceId,
        quantity: item.quantity,
        unitAmount: item.unitAmount,
        position,
        createdAt: spec.now,
        updatedAt: spec.now,
      }),
    );
  });
  return subscription;
}

export interface SubscriptionCommitment {
  interval: BillingInterval;
  renewal: 'renew' | 'expire';
  reminderDaysBefore: number;
}

/** Customers hear that their trial ends this many days before (Stripe's `trial_will_end` lead time). */
export const TRIAL_ENDING_NOTICE_DAYS = 3;

/**
 * The workflow input for a recorded subscription. `firstChargeAtCheckout`: a checkout page waits for
 * its first charge (SubscriptionWorkflowInput.firstChargeAtCheckout).
 */
export function subscriptionWorkflowInput(subscription: Subscription, { firstChargeAtCheckout = false } = {}): SubscriptionWorkflowInput {
  const interval: BillingInterval = { unit: subscription.intervalUnit, count: subscription.intervalCount };
  const input: SubscriptionWorkflowInput = {
    subscriptionId: subscription.id,
    customerId: subscription.customerId,
    billingAnchor: subscription.billingAnchor.toISOString(),
    timeZone: subscription.timeZone,
    interval,
    ...(firstChargeAtCheckout ? { firstChargeAtCheckout: true } : {}),
  };
  if (subscription.trialStart && subscription.trialEnd) {
    input.trialStart = subscription.trialStart.toISOString();
    input.trialEndingNoticeDays = TRIAL_ENDING_NOTICE_DAYS;
  } else if (subscription.startDate.getTime() < subscription.billingAnchor.getTime()) {
    // A chosen anchor after the start: the subscription runs (unbilled until the anchor) from its start.
    input.stubStart = subscription.startDate.toISOString();
  }
  if (subscription.commitmentIntervalUnit && subscription.commitmentIntervalCount && subscription.commitmentRenewal) {
    const perTerm = periodsPerTerm({ unit: subscription.commitmentIntervalUnit, count: subscription.commitmentIntervalCount }, interval);
    if (perTerm === null) throw new Error(`subscription ${subscription.id}: its commitment term is not a whole number of billing periods`);
    input.commitment = { periodsPerTerm: perTerm, renewal: subscription.commitmentRenewal, reminderDaysBefore: subscription.commitmentReminderDays ?? 0 };
  }
  return input;
}

/**
 * Starts the billing workflow of a recorded subscription. Idempotent: a retried request or activity
 * finds the workflow already started (workflow id = `subscription-<id>`) and does nothing.
 * Returns false when it was already running.
 */
export async function startSubscriptionWorkflow(
  temporal: Client,
  taskQueue: string,
  subscription: Subscription,
  options: { firstChargeAtCheckout?: boolean } = {},
): Promise<boolean> {
  try {
    await temporal.workflow.start('subscriptionWorkflow', {
      taskQueue,
      workflowId: subscription.workflowId,
      args: [subscriptionWorkflowInput(subscription, options)],
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
