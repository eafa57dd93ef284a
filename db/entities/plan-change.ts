import { EntitySchema } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';

export type PlanChangeEffective = 'immediately' | 'period_end';
export type ProrationBehavior = 'create_prorations' | 'always_invoice' | 'none';

/** A change of a subscription item's price or quantity, as requested and, once applied, as billed. */
export class SubscriptionPlanChange {
  id!: string;
  subscriptionId!: string;
  /** The item that changes (its price and/or quantity); the other items stay as they are. */
  subscriptionItemId!: string;
  fromPriceId!: string;
  toPriceId!: string;
  fromQuantity!: number;
  toQuantity!: number;
  fromUnitAmount!: number;
  toUnitAmount!: number;
  effective!: PlanChangeEffective;
  prorationBehavior!: ProrationBehavior;
  prorationDate!: Date | null;
  credit!: number;
  charge!: number;
  /** The invoice made at once (always_invoice with something to charge). */
  invoiceId!: string | null;
  status!: 'scheduled' | 'applied' | 'superseded';
  appliedAt!: Date | null;
  createdAt!: Date;
}

export const SubscriptionPlanChangeSchema = new EntitySchema<SubscriptionPlanChange>({
  class: SubscriptionPlanChange,
  tableName: 'subscription_plan_changes',
  properties: {
    id: { type: 'string', primary: true },
    subscriptionId: { type: 'string' },
    subscriptionItemId: { type: 'string' },
    fromPriceId: { type: 'string' },
    toPriceId: { type: 'string' },
    fromQuantity: { type: 'integer' },
    toQuantity: { type: 'integer' },
    fromUnitAmount: minorUnits(),
    toUnitAmount: minorUnits(),
    effective: { type: 'string' },
    prorationBehavior: { type: 'string' },
    prorationDate: timestamptz(true),
    credit: minorUnits(),
    charge: minorUnits(),
    invoiceId: { type: 'string', nullable: true },
    status: { type: 'string' },
    appliedAt: timestamptz(true),
    createdAt: timestamptz(),
  },
});

export type PendingItemKind = 'proration_charge' | 'proration_credit' | 'credit_carried';

/** A proration charge or credit waiting for the subscription's next invoice. */
export class SubscriptionPendingItem {
  id!: string;
  subscriptionId!: string;
  kind!: PendingItemKind;
  description!: string;
  /** Always positive; a credit's kind says it is taken off. */
  amount!: number;
  periodStart!: Date | null;
  periodEnd!: Date | null;
  sourceId!: string;
  invoiceId!: string | null;
  createdAt!: Date;
}

export const SubscriptionPendingItemSchema = new EntitySchema<SubscriptionPendingItem>({
  class: SubscriptionPendingItem,
  tableName: 'subscription_pending_items',
  properties: {
    id: { type: 'string', primary: true },
    subscriptionId: { type: 'string' },
    kind: { type: 'string' },
    description: { type: 'text' },
    amount: minorUnits(),
    periodStart: timestamptz(true),
    periodEnd: timestamptz(true),
    sourceId: { type: 'string' },
    invoiceId: { type: 'string', nullable: true },
    createdAt: timestamptz(),
  },
});
