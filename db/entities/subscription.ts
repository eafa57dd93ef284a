import { Collection, EntitySchema, LoadStrategy, type Opt } from '@mikro-orm/core';
import { timestamptz } from './columns';
import type { IntervalUnit } from '../../domain/frequency';
import type { SubscriptionItem } from './subscription-item';

/**
 * `incomplete` exists only between the API writing the record and the workflow taking it over;
 * every later status is written by the subscription workflow's activities.
 */
export type SubscriptionStatus = 'incomplete' | 'scheduled' | 'trialing' | 'active' | 'past_due' | 'unpaid' | 'paused' | 'canceled';
export type CancellationReason = 'cancellation_requested' | 'payment_failed' | 'term_expired';

export interface PendingUpdate {
  planChangeId: string;
  itemId: string;
  priceId: string;
  quantity: number;
  effectiveAt: string;
}
export type CollectionMethod = 'charge_automatically' | 'send_invoice';

/** A fee on the subscription's invoices: one-off (first billed period only) or recurring (every period). */
export interface SubscriptionFeeRecord {
  description: string;
  type: 'percentage' | 'fixed_amount';
  /** Millionths of the discounted subtotal for a percentage fee; null for a fixed amount. */
  ratePpm: number | null;
  /** Minor units for a fixed fee; null for a percentage. */
  amount: number | null;
  taxable: boolean;
  recurring: boolean;
}

export class Subscription {
  id!: string;
  customerId!: string;
  /**
   * What it bills: 1..20 items (distinct prices in its currency, on its interval), in position order.
   * Loaded with the subscription, in one query for a whole page of them.
   */
  items = new Collection<SubscriptionItem>(this);
  currency!: string;
  intervalUnit!: IntervalUnit;
  intervalCount!: number;
  status!: SubscriptionStatus;
  collectionMethod!: CollectionMethod;
  /** Period n starts at billingAnchor + n intervals in `timeZone`. */
  billingAnchor!: Date;
  timeZone!: string;
  startDate!: Date;
  currentPeriodIndex!: number | null;
  currentPeriodStart!: Date | null;
  currentPeriodEnd!: Date | null;
  nextBillingDate!: Date | null;
  cancelAtPeriodEnd!: boolean;
  canceledAt!: Date | null;
  pausedAt!: Date | null;
  /** The trial runs from trialStart to trialEnd (the billing anchor); both null without a trial. */
  trialStart!: Opt<Date | null>;
  trialEnd!: Opt<Date | null>;
  /** The commitment term's length and what happens at its end; all null without a commitment. */
  commitmentIntervalUnit!: Opt<IntervalUnit | null>;
  commitmentIntervalCount!: Opt<number | null>;
  commitmentRenewal!: Opt<'renew' | 'expire' | null>;
  commitmentReminderDays!: Opt<number | null>;
  /** The term running now, written by the workflow. */
  currentTermIndex!: Opt<number | null>;
  currentTermStart!: Opt<Date | null>;
  currentTermEnd!: Opt<Date | null>;
  /** A pause that starts later; `resumeAt` is when a pause (scheduled or running) ends by itself. */
  pauseScheduledAt!: Opt<Date | null>;
  resumeAt!: Opt<Date | null>;
  cancellationReason!: Opt<CancellationReason | null>;
  /** The plan change waiting for the end of the current period, written with the workflow's state. */
  pendingUpdate!: Opt<PendingUpdate | null>;
  workflowId!: string;
  metadata!: Record<string, string>;
  /**
   * Discount configuration, written by the API (not lifecycle state): the coupon, the period index its
   * duration counts from, and when it was applied. All three are null together.
   */
  couponId!: string | null;
  discountStartPeriod!: number | null;
  discountAppliedAt!: Date | null;
  /** Tax rates applied to every period's invoice, in order. */
  defaultTaxRateIds!: Opt<string[]>;
  fees!: Opt<SubscriptionFeeRecord[]>;
  createdAt!: Date;
  updatedAt!: Date;
}

export const SubscriptionSchema = new EntitySchema<Subscription>({
  class: Subscription,
  tableName: 'subscriptions',
  properties: {
    id: { type: 'string', primary: true },
    customerId: { type: 'string' },
    items: {
      kind: '1:m',
      entity: 'SubscriptionItem',
      mappedBy: 'subscription',
      orderBy: { position: 'asc' },
      eager: true,
      // A separate query (never a join), so FOR UPDATE / FOR SHARE on a subscription and a page's LIMIT apply to subscriptions only.
      strategy: LoadStrategy.SELECT_IN,
    },
    currency: { type: 'string', length: 3 },
    intervalUnit: { type: 'string' },
    intervalCount: { type: 'integer' },
    status: { type: 'string' },
    collectionMethod: { type: 'string' },
    billingAnchor: timestamptz(),
    timeZone: { type: 'string' },
    startDate: timestamptz(),
    currentPeriodIndex: { type: 'integer', nullable: true },
    currentPeriodStart: timestamptz(true),
    currentPeriodEnd: timestamptz(true),
    nextBillingDate: timestamptz(true),
    cancelAtPeriodEnd: { type: 'boolean' },
    canceledAt: timestamptz(true),
    pausedAt: timestamptz(true),
    trialStart: { ...timestamptz(true), default: null },
    trialEnd: { ...timestamptz(true), default: null },
    commitmentIntervalUnit: { type: 'string', nullable: true, default: null },
    commitmentIntervalCount: { type: 'integer', nullable: true, default: null },
    commitmentRenewal: { type: 'string', nullable: true, default: null },
    commitmentReminderDays: { type: 'integer', nullable: true, default: null },
    currentTermIndex: { type: 'integer', nullable: true, default: null },
    currentTermStart: { ...timestamptz(true), default: null },
    currentTermEnd: { ...timestamptz(true), default: null },
    pauseScheduledAt: { ...timestamptz(true), default: null },
    resumeAt: { ...timestamptz(true), default: null },
    cancellationReason: { type: 'string', nullable: true, default: null },
    pendingUpdate: { type: 'json', nullable: true, default: null },
    workflowId: { type: 'string', unique: true },
    metadata: { type: 'json' },
    couponId: { type: 'string', nullable: true, default: null },
    discountStartPeriod: { type: 'integer', nullable: true, default: null },
    discountAppliedAt: { ...timestamptz(true), default: null },
    defaultTaxRateIds: { type: 'json', default: '[]' },
    fees: { type: 'json', default: '[]' },
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});
