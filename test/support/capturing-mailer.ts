import type { DeliveryResult, Mailer, OutgoingEmail } from '../../activities/email/mailer';
import { OutboxMailer } from '../../activities/email/outbox-mailer';

/**
 * The outbox mailer that also keeps what it delivered, as the customer's inbox would: the outbox
 * table holds a redacted copy of an email carrying a credential, the delivered email the real one.
 */
export class CapturingMailer implements Mailer {
  readonly name = 'outbox';
  readonly delivered: OutgoingEmail[] = [];
  private readonly outbox = new OutboxMailer();

  async send(email: OutgoingEmail): Promise<DeliveryResult> {
    this.delivered.push(email);
    return this.outbox.send(email);
  }

  /** The tokens of the quote acceptance links delivered under outbox keys starting with `keyPrefix`, oldest first. */
  quoteLinkTokens(keyPrefix: string): string[] {
    return this.delivered
      .filter((e) => e.idempotencyKey.startsWith(keyPrefix))
      .map((e) => /\/quotes\/([A-Za-z0-9_-]+)/.exec(e.text)?.[1])
      .filter((t): t is string => t !== undefined);
  }
}
