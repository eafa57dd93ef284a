/** The records behind `/v1/webhook-events` as the API answers with them (the shapes are in ./schemas.ts). */
import { WebhookEvent } from '../../db/entities';
import { iso } from '../schemas';

export const webhookEventResource = (e: WebhookEvent) => ({
  id: e.id,
  object: 'webhook_event' as const,
  gateway: 'stripe' as const,
  event_id: e.eventId,
  type: e.type,
  api_version: e.apiVersion,
  livemode: e.livemode,
  created: iso(e.gatewayCreatedAt)!,
  status: e.status,
  routed_to: e.routedTo,
  invoice: e.invoiceId,
  error: e.error,
  attempts: e.attempts,
  received_at: iso(e.receivedAt)!,
  processed_at: iso(e.processedAt),
  payload: e.payload,
});
