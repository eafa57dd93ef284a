import { EntitySchema } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';

/** One line of a payment link: a catalog price, its default quantity, and whether the buyer may change it. */
export interface PaymentLinkLineItem {
  priceId: string;
  quantity: number;
  /** Null: the buyer takes `quantity` as it is. */
  adjustableQuantity: { enabled: boolean; minimum: number; maximum: number } | null;
}

/** What the buyer sees after paying: our confirmation page (with an optional message), or a redirect. */
export type AfterCompletion = { type: 'hosted_confirmation'; customMessage: string | null } | { type: 'redirect'; url: string };

/** `payment`: one-time prices only; `subscription`: at least one recurring price (one-time ones join the first charge). */
export type PaymentLinkMode = 'payment' | 'subscription';

/**
 * A shareable checkout page (Stripe's payment link): fixed prices sold to anyone with the URL. The API
 * writes it; checkouts only read it, so editing a link never changes what an earlier buyer bought.
 */
export class PaymentLink {
  id!: string;
  active!: boolean;
  currency!: string;
  mode!: PaymentLinkMode;
  lineItems!: PaymentLinkLineItem[];
  trialPeriodDays!: number | null;
  afterCompletion!: AfterCompletion;
  /** Buyers may pick a subscription start up to this many days ahead; null: subscriptions start at checkout. */
  futureStartMaxDays!: number | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

export const PaymentLinkSchema = new EntitySchema<PaymentLink>({
  class: PaymentLink,
  tableName: 'payment_links',
  properties: {
    id: { type: 'string', primary: true },
    active: { type: 'boolean' },
    currency: { type: 'string', length: 3 },
    mode: { type: 'string' },
    lineItems: { type: 'json' },
    trialPeriodDays: { type: 'integer', nullable: true },
    afterCompletion: { type: 'json' },
    futureStartMaxDays: { type: 'integer', nullable: true },
    metadata: { type: 'json' },
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});

/**
 * `open`: created at the buyer's submit, charging; `complete`: paid (or a trial or future start with
 * the card saved); `failed`: the card was declined, what it created voided or canceled (the buyer
 * submits again on a fresh session); `expired`: no outcome within the session's lifetime.
 */
export type CheckoutSessionStatus = 'open' | 'complete' | 'failed' | 'expired';

/** A line as bought: the price, quantity and unit amount at checkout. */
export interface CheckoutLine {
  priceId: string;
  description: string;
  quantity: number;
  unitAmount: number;
  recurring: { unit: 'day' | 'week' | 'month' | 'year'; count: number } | null;
}

/**
 * One buyer's submit of a payment link's form. The form carries a random token; only its SHA-256 is
 * stored (`tokenHash`, unique), so a double submit finds the same session and never charges twice,
 * and the confirmation URL (which carries the token) cannot be derived from the database. The
 * session's workflow (`checkout-<id>`) is the only writer of its status once created.
 */
export class CheckoutSession {
  id!: string;
  tokenHash!: string;
  paymentLinkId!: string;
  customerId!: string;
  status!: CheckoutSessionStatus;
  currency!: string;
  lines!: CheckoutLine[];
  /** Charged now: the one-time lines' invoice total (0 without one-time lines). */
  amountTotal!: number;
  /** Billed every period from the subscription's first paid period, per interval, before taxes. */
  recurringTotal!: number;
  invoiceId!: string | null;
  subscriptionIds!: string[];
  /** When the subscriptions start (a future start the buyer chose, or the checkout). */
  startDate!: Date;
  failureMessage!: string | null;
  workflowId!: string;
  createdAt!: Date;
  updatedAt!: Date;
  completedAt!: Date | null;
}

export const CheckoutSessionSchema = new EntitySchema<CheckoutSession>({
  class: CheckoutSession,
  tableName: 'checkout_sessions',
  properties: {
    id: { type: 'string', primary: true },
    tokenHash: { type: 'string', unique: true },
    paymentLinkId: { type: 'string' },
    customerId: { type: 'string' },
    status: { type: 'string' },
    currency: { type: 'string', length: 3 },
    lines: { type: 'json' },
    amountTotal: minorUnits(),
    recurringTotal: minorUnits(),
    invoiceId: { type: 'string', nullable: true },
    subscriptionIds: { type: 'json' },
    startDate: timestamptz(),
    failureMessage: { type: 'text', nullable: true },
    workflowId: { type: 'string' },
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
    completedAt: timestamptz(true),
  },
});
