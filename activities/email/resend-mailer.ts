import { Resend } from 'resend';
import { DeliveryResult, Mailer, OutgoingEmail } from './mailer';

export interface ResendClientOptions {
  apiKey: string;
  /** Another API endpoint (a local stand-in in tests). Unset: the SDK reads RESEND_BASE_URL, then uses api.resend.com. */
  baseUrl?: string;
}

export function createResendClient(options: ResendClientOptions): Resend {
  return new Resend(options.apiKey, options.baseUrl === undefined ? undefined : { baseUrl: options.baseUrl });
}

/**
 * Resend refused or could not take the email. Thrown (the SDK itself never throws) so the activity
 * retries; `statusCode` is null when the request never got an answer.
 */
export class EmailDeliveryError extends Error {
  override readonly name = 'EmailDeliveryError';

  constructor(
    message: string,
    readonly code: string,
    readonly statusCode: number | null,
  ) {
    super(message);
  }
}

/** Delivers outbox rows through Resend. */
export class ResendMailer implements Mailer {
  readonly name = 'resend';

  constructor(private readonly resend: Resend) {}

  async send(email: OutgoingEmail): Promise<DeliveryResult> {
    const { data, error } = await this.resend.emails.send(
      { from: email.from, to: email.to, subject: email.subject, html: email.html, text: email.text },
      // Resend keeps the key for 24 hours: a retried activity inside that window does not send twice.
      { idempotencyKey: email.idempotencyKey },
    );
    if (error) {
      throw new EmailDeliveryError(
        `Resend did not accept email ${email.idempotencyKey}: ${error.message} (${error.name})`,
        error.name,
        error.statusCode,
      );
    }
    if (!data?.id) {
      throw new EmailDeliveryError(`Resend answered without a message id for ${email.idempotencyKey}`, 'missing_id', null);
    }
    return { providerMessageId: data.id };
  }
}
