import { EntitySchema } from '@mikro-orm/core';
import { timestamptz } from './columns';

export type EmailStatus = 'pending' | 'sent';

/** The email outbox: one row per message, unique on `key` (kind, record, period/attempt). */
export class Email {
  id!: string;
  key!: string;
  kind!: string;
  customerId!: string | null;
  /** The record the email is about (invoice, payment, subscription id). */
  relatedId!: string | null;
  to!: string;
  subject!: string;
  text!: string;
  html!: string;
  status!: EmailStatus;
  provider!: string | null;
  providerMessageId!: string | null;
  attempts!: number;
  lastError!: string | null;
  createdAt!: Date;
  sentAt!: Date | null;
}

export const EmailSchema = new EntitySchema<Email>({
  class: Email,
  tableName: 'email_outbox',
  properties: {
    id: { type: 'string', primary: true },
    key: { type: 'string', unique: true },
    kind: { type: 'string' },
    customerId: { type: 'string', nullable: true },
    relatedId: { type: 'string', nullable: true },
    to: { type: 'string', fieldName: 'to_address' },
    subject: { type: 'string' },
    text: { type: 'text' },
    html: { type: 'text' },
    status: { type: 'string' },
    provider: { type: 'string', nullable: true },
    providerMessageId: { type: 'string', nullable: true },
    attempts: { type: 'integer' },
    lastError: { type: 'text', nullable: true },
    createdAt: timestamptz(),
    sentAt: timestamptz(true),
  },
});
