/** The records behind `/v1/emails` as the API answers with them (the shapes are in ./schemas.ts). */
import { Email } from '../../db/entities';
import { iso } from '../schemas';

export const emailResource = (e: Email) => ({
  id: e.id,
  object: 'email' as const,
  key: e.key,
  kind: e.kind,
  customer: e.customerId,
  related_id: e.relatedId,
  to: e.to,
  subject: e.subject,
  text: e.text,
  html: e.html,
  status: e.status,
  provider: e.provider,
  provider_message_id: e.providerMessageId,
  attempts: e.attempts,
  last_error: e.lastError,
  created_at: iso(e.createdAt)!,
  sent_at: iso(e.sentAt),
});
