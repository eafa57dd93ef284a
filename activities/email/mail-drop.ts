import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeliveryResult, Mailer, OutgoingEmail } from './mailer';

/**
 * Development only (DEV_MAIL_DIR, set by `npm start`): wraps the outbox-only mailer and drops each
 * delivered email into a folder as an `.eml` file, so a developer can open what a customer would
 * receive. The outbox keeps credentials redacted (an operator reading it must not act as the
 * customer), so without this nothing on a dev stack would carry a quote signer's working link.
 * The files hold those links in clear, like a mailbox: never set it in production.
 */
export class MailDropMailer implements Mailer {
  readonly name: string;

  constructor(
    private readonly inner: Mailer,
    private readonly dir: string,
  ) {
    this.name = inner.name;
  }

  async send(email: OutgoingEmail): Promise<DeliveryResult> {
    const result = await this.inner.send(email);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // One file per outbox key: a retried delivery overwrites its own file instead of adding one.
    const file = join(this.dir, `${email.idempotencyKey.replace(/[^A-Za-z0-9_.-]/g, '_')}.eml`);
    await writeFile(file, toEml(email), { mode: 0o600 });
    return result;
  }
}

/** A plain-text RFC 5322 message: enough for any mail client or a text editor. */
function toEml(email: OutgoingEmail): string {
  const header = (name: string, value: string) => `${name}: ${value.replace(/[\r\n]+/g, ' ')}`;
  return [
    header('From', email.from),
    header('To', email.to),
    header('Subject', email.subject),
    header('Message-ID', `<${email.idempotencyKey.replace(/[^A-Za-z0-9_.-]/g, '_')}@billing.local>`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    email.text,
  ].join('\r\n');
}
