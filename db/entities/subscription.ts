import { EntitySchema, type Opt } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';
import type { IntervalUnit } from '../../domain/frequency';

/**
 * `incomplete` exists only between the API writing the record and the workflow taking it over;
 * every later status is written by the subscription workflow's activities.
 */
export type SubscriptionStatus = 'incomplete' | 'scheduled' | 'active' | 'past_due' | 'unpaid' | 'paused' | 'canceled';
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
  priceId!: string;
  quantity!: number;
  currency!: string;
  /** Copied from the price when the subscription starts, so a later catalog edit never re-prices it. */
  unitAmount!: number;
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
    priceId: { type: 'string' },
    quantity: { type: 'integer' },
    currency: { type: 'string', length: 3 },
    unitAmount: minorUnits(),
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
