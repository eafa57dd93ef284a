import { EntitySchema } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';
import type { IntervalUnit } from '../../domain/frequency';

/**
 * `incomplete` exists only between the API writing the record and the workflow taking it over;
 * every later status is written by the subscription workflow's activities.
 */
export type SubscriptionStatus = 'incomplete' | 'scheduled' | 'active' | 'past_due' | 'unpaid' | 'paused' | 'canceled';
export type CollectionMethod = 'charge_automatically' | 'send_invoice';

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
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});
