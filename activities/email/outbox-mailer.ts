import { DeliveryResult, Mailer, OutgoingEmail } from './mailer';

/**
 * The embedded default when no email provider is configured: the email is already a row in the
 * outbox table, readable through the API, so "delivering" it means nothing more to do.
 */
export class OutboxMailer implements Mailer {
  readonly name = 'outbox';

  async send(email: OutgoingEmail): Promise<DeliveryResult> {
    return { providerMessageId: `outbox:${email.idempotencyKey}` };
  }
}
