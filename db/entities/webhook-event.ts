import { EntitySchema } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';
import { timestamptz } from './columns';

/**
 * - `received`: stored, not routed yet (new, or Temporal was unreachable: the redelivery routes it);
 * - `routed`: signalled to the workflow in `routedTo`;
 * - `ignored`: a type we do not act on, kept for the record;
 * - `unroutable`: no invoice found, or its workflow is not running; `error` says which;
 * - `failed`: a type we act on, but the payload lacks what routing needs.
 * Nothing is ever deleted: unroutable and failed events wait for an operator (`POST .../retry`).
 */
export type WebhookEventStatus = 'received' | 'routed' | 'ignored' | 'unroutable' | 'failed';

export const WEBHOOK_EVENT_STATUSES: readonly WebhookEventStatus[] = ['received', 'routed', 'ignored', 'unroutable', 'failed'];

/** One row per gateway event id, however often the gateway delivers it. */
export class WebhookEvent {
  id!: string;
  /** The gateway's event id (Stripe `evt_...`), unique. */
  eventId!: string;
  type!: string;
  apiVersion!: string | null;
  /** When the gateway created the event: the order operators read, and the `occurredAt` sent on. */
  gatewayCreatedAt!: Date;
  livemode!: boolean;
  payload!: Record<string, unknown>;
  status!: WebhookEventStatus;
  /** Workflow id the event was signalled to. */
  routedTo!: string | null;
  invoiceId!: string | null;
  /** Why it was ignored, unroutable or failed, or the last delivery error while still `received`. */
  error!: string | null;
  /** Routing attempts (deliveries and operator retries that got as far as routing). */
  attempts!: number;
  receivedAt!: Date;
  processedAt!: Date | null;
}

/**
 * `we_` and a UUIDv7, like the ids in db/ids.ts: time-ordered, so the list paginates by id in the
 * order events reached us.
 */
export const newWebhookEventId = (): string => `we_${uuidv7().replace(/-/g, '')}`;

export const WebhookEventSchema = new EntitySchema<WebhookEvent>({
  class: WebhookEvent,
  tableName: 'webhook_events',
  properties: {
    id: { type: 'string', primary: true },
    eventId: { type: 'string', unique: true },
    type: { type: 'string' },
    apiVersion: { type: 'string', nullable: true },
    gatewayCreatedAt: timestamptz(),
    livemode: { type: 'boolean' },
    payload: { type: 'json' },
    status: { type: 'string' },
    routedTo: { type: 'string', nullable: true },
    invoiceId: { type: 'string', nullable: true },
    error: { type: 'text', nullable: true },
    attempts: { type: 'integer' },
    receivedAt: timestamptz(),
    processedAt: timestamptz(true),
  },
});
