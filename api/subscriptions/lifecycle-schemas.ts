/** The bodies of the lifecycle routes (./lifecycle-routes.ts), shared with the customer portal's. */
import { Type } from 'typebox';

export const PauseBody = Type.Object(
  {
    pause_at: Type.Optional(Type.String({ format: 'date-time', description: 'Pause later, at this instant (default: now)' })),
    resume_at: Type.Optional(Type.String({ format: 'date-time', description: 'Resume by itself at this instant (default: stays paused until resumed)' })),
  },
  { additionalProperties: false },
);

export const CollectionMethodBody = Type.Object(
  {
    collection_method: Type.Union([Type.Literal('charge_automatically'), Type.Literal('send_invoice')], {
      description: 'From the next invoice on: charge the saved payment method (autopay) or email the invoice with payment terms',
    }),
  },
  { additionalProperties: false },
);

export const CancelBody = Type.Object(
  { at_period_end: Type.Optional(Type.Boolean({ default: false, description: 'Keep the paid period, stop at its end' })) },
  { additionalProperties: false },
);
