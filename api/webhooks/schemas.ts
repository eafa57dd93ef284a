/** The request and response shapes of `/v1/webhooks/stripe`. */
import { Type } from 'typebox';
import { WebhookEventStatusSchema } from '../webhook-events/schemas';

export const WebhookReceipt = Type.Object(
  {
    received: Type.Literal(true),
    id: Type.String({ description: 'The stored webhook event (GET /v1/webhook-events/{id})' }),
    event_id: Type.String(),
    status: WebhookEventStatusSchema,
    duplicate: Type.Boolean({ description: 'True when this delivery changed nothing: another delivery of the same event id, earlier or concurrent, handled it' }),
  },
  { title: 'WebhookReceipt' },
);
