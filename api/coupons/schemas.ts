/** The request and response shapes of `/v1/coupons`. */
import { Type } from 'typebox';
import { PERCENTAGE_PATTERN } from '../../domain/pricing';
import { CurrencyCode, Metadata, Nullable, Timestamp } from '../schemas';

export const Duration = Type.Enum(['once', 'repeating', 'forever'], {
  description:
    'once: the first period billed after the coupon is applied; repeating: duration_in_periods billed periods; forever: every period. ' +
    'Subscriptions bill at any frequency, so durations count billing periods, not months.',
});

export const CouponResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('coupon'),
    name: Type.String(),
    percent_off: Nullable(Type.String({ description: 'Percent as a decimal string ("20", "12.5"); null for a fixed amount' })),
    amount_off: Nullable(Type.Integer({ description: 'Minor units of currency; null for a percentage' })),
    currency: Nullable(Type.String()),
    duration: Duration,
    duration_in_periods: Nullable(Type.Integer()),
    max_redemptions: Nullable(Type.Integer()),
    redeem_by: Nullable(Timestamp),
    times_redeemed: Type.Integer({ description: 'Subscriptions it was applied to' }),
    valid: Type.Boolean({ description: 'Can still be applied: not deleted, not past redeem_by, max_redemptions not reached' }),
    metadata: Metadata,
    created_at: Timestamp,
  },
  { $id: 'Coupon' },
);

export const CreateCoupon = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: 'Shown on invoices as the discount description' }),
    percent_off: Type.Optional(
      Type.String({ pattern: PERCENTAGE_PATTERN, description: 'Percent off, more than 0 and at most 100, up to 4 decimals: "20", "8.875"' }),
    ),
    amount_off: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Minor units off each covered invoice (with currency)' })),
    currency: Type.Optional(CurrencyCode),
    duration: Duration,
    duration_in_periods: Type.Optional(Type.Integer({ minimum: 1, maximum: 1200, description: 'Required with duration=repeating, and only then' })),
    max_redemptions: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'How many subscriptions may redeem it' })),
    redeem_by: Type.Optional(Type.String({ format: 'date-time', description: 'Last instant it can be applied (in the future)' })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, description: 'Exactly one of percent_off or amount_off (with currency)' },
);

export const UpdateCoupon = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    metadata: Type.Optional(
      Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), {
        maxProperties: 50,
        description: 'Merged into the metadata; an empty string removes that key',
      }),
    ),
  },
  { additionalProperties: false, description: 'Only name and metadata change: the terms of a coupon are fixed once created, as at Stripe' },
);

export const DeletedCoupon = Type.Object({ id: Type.String(), object: Type.Literal('coupon'), deleted: Type.Literal(true) });
