/** The request and response shapes of `/v1/webhook-events`. */
import { Type } from 'typebox';
import { WEBHOOK_EVENT_STATUSES } from '../../db/entities';
import { Nullable, Timestamp } from '../schemas';

export const WebhookEventStatusSchema = Type.Enum([...WEBHOOK_EVENT_STATUSES], {
  description:
    'received: stored, not routed yet (Temporal was unreachable; the redelivery routes it). routed: signalled to routed_to. ' +
    'ignored: a type the billing workflows do not act on. unroutable: no invoice found or its workflow is not running (see error). ' +
    'failed: the payload lacks what routing needs (see error).',
});

export const WebhookEventResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('webhook_event'),
    gateway: Type.Literal('stripe'),
    event_id: Type.String({ description: 'The gateway event id (evt_...), unique' }),
    type: Type.String({ examples: ['payment_intent.succeeded'] }),
    api_version: Nullable(Type.String()),
    livemode: Type.Boolean(),
    created: Timestamp,
    status: WebhookEventStatusSchema,
    routed_to: Nullable(Type.String({ description: 'Workflow id the event was signalled to' })),
    invoice: Nullable(Type.String({ description: 'The invoice the event concerns, when found' })),
    error: Nullable(Type.String({ description: 'Why it is ignored, unroutable or failed, or the last delivery error while received' })),
    attempts: Type.Integer({ description: 'Routing attempts: deliveries and retries that got as far as routing' }),
    received_at: Timestamp,
    processed_at: Nullable(Timestamp),
    payload: Type.Record(Type.String(), Type.Unknown(), { description: 'The event as the gateway sent it' }),
  },
  { $id: 'WebhookEvent', description: 'created: when the gateway created the event, the order events happened in' },
);
