/** The request and response shapes of `/v1/payment-links`. */
import { Type } from 'typebox';
import { MAX_ADJUSTABLE_QUANTITY, MAX_FUTURE_START_DAYS, MAX_LINK_LINE_ITEMS } from '../../services/payment-links/link-input';
import { CurrencyCode, Metadata, Nullable, Timestamp } from '../schemas';

const AdjustableQuantity = Type.Object(
  {
    enabled: Type.Boolean(),
    minimum: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ADJUSTABLE_QUANTITY, description: 'Default 0' })),
    maximum: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ADJUSTABLE_QUANTITY, description: 'Default 99' })),
  },
  { additionalProperties: false },
);

const LineItemRequest = Type.Object(
  {
    price: Type.String({ minLength: 1, maxLength: 64, description: 'An active price; every price of a link shares one currency' }),
    quantity: Type.Integer({ minimum: 0, maximum: MAX_ADJUSTABLE_QUANTITY }),
    adjustable_quantity: Type.Optional(AdjustableQuantity),
  },
  { additionalProperties: false },
);

const LineItems = Type.Array(LineItemRequest, { minItems: 1, maxItems: MAX_LINK_LINE_ITEMS });

const AfterCompletionRequest = Type.Object(
  {
    type: Type.Union([Type.Literal('hosted_confirmation'), Type.Literal('redirect')]),
    hosted_confirmation: Type.Optional(
      Type.Object({ custom_message: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }),
    ),
    redirect: Type.Optional(Type.Object({ url: Type.String({ minLength: 1, maxLength: 2048, description: 'Absolute https or http URL' }) }, { additionalProperties: false })),
  },
  { additionalProperties: false, description: 'Our confirmation page (with an optional message), or a redirect to your page' },
);

export const CreatePaymentLink = Type.Object(
  {
    line_items: LineItems,
    active: Type.Optional(Type.Boolean({ default: true })),
    subscription_data: Type.Optional(
      Type.Object({ trial_period_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 730 })) }, { additionalProperties: false }),
    ),
    after_completion: Type.Optional(AfterCompletionRequest),
    allow_future_start: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean(),
          maximum_days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_FUTURE_START_DAYS, description: 'Default 90' })),
        },
        { additionalProperties: false, description: 'The buyer may pick when the subscriptions start, up to maximum_days ahead' },
      ),
    ),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const UpdatePaymentLink = Type.Object(
  {
    active: Type.Optional(Type.Boolean()),
    line_items: Type.Optional(Type.Array(LineItemRequest, { minItems: 1, maxItems: MAX_LINK_LINE_ITEMS, description: 'Every price of the link once: only quantities and their bounds change' })),
    after_completion: Type.Optional(AfterCompletionRequest),
    metadata: Type.Optional(
      Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), {
        maxProperties: 50,
        description: 'Merged into the metadata; an empty string removes that key',
      }),
    ),
  },
  { additionalProperties: false },
);

export const PaymentLinkResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('payment_link'),
    active: Type.Boolean({ description: 'An inactive link’s page says it is no longer available' }),
    url: Type.String({ description: 'The public checkout page' }),
    currency: CurrencyCode,
    mode: Type.Union([Type.Literal('payment'), Type.Literal('subscription')], { description: 'subscription when any price is recurring' }),
    line_items: Type.Array(
      Type.Object({
        price: Type.String(),
        quantity: Type.Integer(),
        adjustable_quantity: Nullable(Type.Object({ enabled: Type.Boolean(), minimum: Type.Integer(), maximum: Type.Integer() })),
      }),
    ),
    subscription_data: Nullable(Type.Object({ trial_period_days: Nullable(Type.Integer()) })),
    after_completion: Type.Object({
      type: Type.Union([Type.Literal('hosted_confirmation'), Type.Literal('redirect')]),
      hosted_confirmation: Nullable(Type.Object({ custom_message: Nullable(Type.String()) })),
      redirect: Nullable(Type.Object({ url: Type.String() })),
    }),
    allow_future_start: Type.Object({ enabled: Type.Boolean(), maximum_days: Nullable(Type.Integer()) }),
    metadata: Metadata,
    created_at: Timestamp,
  },
  { $id: 'PaymentLink' },
);
