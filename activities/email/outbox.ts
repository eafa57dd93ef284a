import type { MikroORM } from '@mikro-orm/postgresql';
import { Email } from '../../db/entities';
import { newId } from '../../db/ids';
import type { Mailer } from './mailer';
import type { EmailKind, RenderedEmail } from './templates';

export interface OutboxMessage extends RenderedEmail {
  /** Unique per (kind, record, period/attempt): the same key never produces a second email. */
  key: string;
  kind: EmailKind;
  to: string;
  customerId: string | null;
  relatedId: string | null;
  /**
   * What the mailer delivers when it must differ from what the outbox keeps: an email carrying a
   * credential (a quote signer's link) is stored with the credential redacted and delivered with the
   * real one, which is never written to the database.
   */
  deliver?: RenderedEmail;
}

/**
 * Writes the message to the outbox once, then delivers it unless it was already delivered. Safe to
 * repeat: an activity retried after a crash re-sends with the same provider idempotency key at most.
 * With `deliver`, the outbox row holds `message` (redacted) and the mailer gets `deliver`.
 */
export async function queueAndDeliver(orm: MikroORM, mailer: Mailer, from: string, message: OutboxMessage): Promise<Email> {
  const em = orm.em.fork();
  await em.execute(
    `insert into email_outbox (id, key, kind, customer_id, related_id, to_address, subject, text, html, status)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending') on conflict (key) do nothing`,
    [newId('email'), message.key, message.kind, message.customerId, message.relatedId, message.to, message.subject, message.text, message.html],
  );
  const row = await em.findOneOrFail(Email, { key: message.key });
  if (row.status === 'sent') return row;

  row.attempts += 1;
  try {
    const result = await mailer.send({
      idempotencyKey: row.key,
      from,
      to: row.to,
      subject: message.deliver?.subject ?? row.subject,
      text: message.deliver?.text ?? row.text,
      html: message.deliver?.html ?? row.html,
    });
    row.status = 'sent';
    row.provider = mailer.name;
    row.providerMessageId = result.providerMessageId;
    row.sentAt = new Date();
    row.lastError = null;
  } catch (err) {
    row.lastError = err instanceof Error ? err.message : String(err);
    await em.flush();
    throw err;
  }
  await em.flush();
  return row;
}
