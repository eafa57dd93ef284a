/** The request and response shapes of `/v1/emails`. */
import { Type } from 'typebox';
import { EMAIL_KINDS } from '../../db/email-kinds';
import { Nullable, Timestamp } from '../schemas';

export const KIND_DESCRIPTION = `What the email is: ${EMAIL_KINDS.join(', ')}`;

export const EmailResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('email'),
    key: Type.String({ description: 'Unique per kind, record and period/attempt' }),
    kind: Type.String({ description: KIND_DESCRIPTION }),
    customer: Nullable(Type.String()),
    related_id: Nullable(Type.String()),
    to: Type.String(),
    subject: Type.String(),
    text: Type.String(),
    html: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('sent')]),
    provider: Nullable(Type.String({ description: 'outbox (kept here only) or resend' })),
    provider_message_id: Nullable(Type.String()),
    attempts: Type.Integer(),
    last_error: Nullable(Type.String()),
    created_at: Timestamp,
    sent_at: Nullable(Timestamp),
  },
  { $id: 'Email' },
);
