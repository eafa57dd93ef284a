/** The request and response shapes of `/v1/cancellation-requests`. */
import { Type } from 'typebox';
import { Nullable, Timestamp } from '../schemas';

export const RequestStatus = Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')]);

export const CancellationRequestResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('cancellation_request'),
    subscription: Type.String(),
    customer: Type.String(),
    reason: Nullable(Type.String()),
    comment: Nullable(Type.String()),
    at_period_end: Type.Boolean(),
    status: RequestStatus,
    decided_at: Nullable(Timestamp),
    decision_note: Nullable(Type.String()),
    created_at: Timestamp,
  },
  { $id: 'CancellationRequest' },
);

export const CreateCancellationRequest = Type.Object(
  {
    reason: Type.Optional(
      Type.Union(
        ['too_expensive', 'missing_features', 'switched_service', 'unused', 'customer_service', 'too_complex', 'low_quality', 'other'].map((r) =>
          Type.Literal(r),
        ),
        { description: "The customer's reason (Stripe's cancellation feedback values)" },
      ),
    ),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
    at_period_end: Type.Optional(Type.Boolean({ default: true, description: 'Cancel at the end of the paid period (default) or at once' })),
  },
  { additionalProperties: false },
);

export const DecisionBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
