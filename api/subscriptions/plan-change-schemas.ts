/** The shapes of `/v1/subscriptions/:id/plan-changes` and their preview (./plan-changes-routes.ts). */
import { Type, type Static } from 'typebox';
import { Nullable, Timestamp } from '../schemas';
import { TaxAmountResource } from '../invoices/schemas';

export const ProrationBehavior = Type.Enum(['create_prorations', 'always_invoice', 'none'], {
  description:
    'create_prorations (default): the credit for unused time and the charge for the rest of the period go on the next invoice; ' +
    'always_invoice: invoiced now when they come to more than zero (a net credit goes on the next invoice); none: no proration',
});

export const ChangePlanBody = Type.Object(
  {
    item: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'The subscription item (si_…) to change; required when the subscription has several items, default its only one',
      }),
    ),
    price: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'A recurring price with the same currency and interval, on no other item of the subscription; default the item’s current one',
      }),
    ),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Default the item’s current quantity' })),
    proration_behavior: Type.Optional(ProrationBehavior),
    proration_date: Type.Optional(
      Type.String({ format: 'date-time', description: 'When the change takes effect, within the current period; default now. Pass the preview’s to bill exactly what it showed.' }),
    ),
    at_period_end: Type.Optional(Type.Boolean({ description: 'Apply from the next period instead, without proration (default false)' })),
  },
  { additionalProperties: false },
);
export type ChangePlanBody = Static<typeof ChangePlanBody>;

export const Side = Type.Object({ price: Type.String(), quantity: Type.Integer(), unit_amount: Type.Integer() });

export const PlanChangeResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('subscription_plan_change'),
    subscription: Type.String(),
    item: Type.String({ description: 'The subscription item that changes; the other items stay as they are' }),
    from: Side,
    to: Side,
    effective: Type.Enum(['immediately', 'period_end']),
    proration_behavior: ProrationBehavior,
    proration_date: Nullable(Timestamp),
    credit: Type.Integer({ description: 'Unused time on the old plan, minor units' }),
    charge: Type.Integer({ description: 'The rest of the period on the new plan, minor units' }),
    invoice: Nullable(Type.String({ description: 'The invoice issued at once (always_invoice)' })),
    status: Type.Enum(['scheduled', 'applied', 'superseded'], { description: 'scheduled: waits for the period end; superseded: replaced by a later change, or the subscription ended first' }),
    applied_at: Nullable(Timestamp),
    created_at: Timestamp,
  },
  { $id: 'SubscriptionPlanChange' },
);

export const ProrationLine = Nullable(Type.Object({ description: Type.String(), amount: Type.Integer() }));

export const PlanChangePreview = Type.Object(
  {
    object: Type.Literal('plan_change_preview'),
    subscription: Type.String(),
    item: Type.String({ description: 'The subscription item that would change' }),
    price: Type.String(),
    quantity: Type.Integer(),
    effective: Type.Enum(['immediately', 'period_end']),
    proration_behavior: ProrationBehavior,
    proration_date: Nullable(Timestamp),
    credit: ProrationLine,
    charge: ProrationLine,
    net: Type.Integer({ description: 'charge − credit; negative for a downgrade' }),
    invoice_now: Nullable(
      Type.Object({
        subtotal: Type.Integer(),
        discount_total: Type.Integer(),
        tax: Type.Integer(),
        total: Type.Integer(),
        tax_amounts: Type.Array(TaxAmountResource),
      }),
    ),
    next_invoice: Nullable(
      Type.Object(
        { charge: Type.Integer(), credit: Type.Integer() },
        { description: 'What goes onto the next period’s invoice: the charge as a line, the credit as a discount (any rest carried to the invoice after)' },
      ),
    ),
  },
  { $id: 'PlanChangePreview' },
);
