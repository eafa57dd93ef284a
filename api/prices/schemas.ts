/** The request and response shapes of `/v1/prices`. */
import { Type } from 'typebox';
import { INTERVAL_UNITS, MAX_INTERVAL_COUNT } from '../../domain/frequency';
import { CurrencyCode, Metadata, Nullable, Timestamp } from '../schemas';

export const IntervalUnitSchema = Type.Enum([...INTERVAL_UNITS], { description: 'day, week, month or year' });

/**
 * Stripe's `recurring` shape. The named frequencies map onto it: weekly = week×1, every 2 weeks =
 * week×2, monthly = month×1, quarterly = month×3, every 6 months = month×6, yearly = year×1,
 * every 2–5 years = year×2..5, and any "every N days/weeks/months/years".
 */
export const Recurring = Type.Object(
  {
    interval: IntervalUnitSchema,
    interval_count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_INTERVAL_COUNT, default: 1 })),
  },
  { additionalProperties: false },
);

export const PriceResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('price'),
    product: Type.String(),
    nickname: Nullable(Type.String()),
    currency: Type.String(),
    unit_amount: Type.Integer({ description: 'Integer minor units (cents for USD, yen for JPY)' }),
    type: Type.Union([Type.Literal('one_time'), Type.Literal('recurring')]),
    recurring: Nullable(Type.Object({ interval: IntervalUnitSchema, interval_count: Type.Integer() })),
    frequency: Type.String({ description: 'Human description, e.g. "every 3 months"' }),
    active: Type.Boolean(),
    metadata: Metadata,
    created_at: Timestamp,
  },
  { $id: 'Price' },
);

export const CreatePrice = Type.Object(
  {
    product: Type.String({ minLength: 1, maxLength: 64 }),
    currency: CurrencyCode,
    unit_amount: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Integer minor units; never a decimal' }),
    nickname: Type.Optional(Type.String({ maxLength: 200 })),
    recurring: Type.Optional(Recurring),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

/** Metadata changes merge into the price's metadata, as a coupon's and a tax rate's do. */
export const MetadataChanges = Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), {
  maxProperties: 50,
  description: 'Merged into the metadata; an empty string removes that key',
});

export const UpdatePrice = Type.Object(
  {
    nickname: Type.Optional(Type.String({ maxLength: 200, description: 'An empty string removes the nickname' })),
    active: Type.Optional(Type.Boolean({ description: 'An inactive price stays on its subscriptions but cannot start new ones' })),
    metadata: Type.Optional(MetadataChanges),
  },
  {
    additionalProperties: false,
    description:
      'Only nickname, active and metadata change. Amount, currency, product and interval are fixed once created, as at Stripe: ' +
      'sending one is a 400 naming it; duplicate the price for a new amount.',
  },
);

export const DuplicatePrice = Type.Object(
  {
    nickname: Type.Optional(Type.String({ maxLength: 200, description: "The new price's nickname; default the original's" })),
    unit_amount: Type.Optional(
      Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: "Integer minor units; default the original's" }),
    ),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
