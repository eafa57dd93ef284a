/**
 * The mailer port. Every email is first written to the outbox table (unique key per kind, record
 * and period); a Mailer only delivers a row that is already there.
 */

export interface OutgoingEmail {
  /** The outbox key (e.g. `receipt:inv_...`); adapters pass it on as the provider's idempotency key. */
  idempotencyKey: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface DeliveryResult {
  /** The provider's message id; for the outbox-only mailer, the outbox key itself. */
  providerMessageId: string;
}

export interface Mailer {
  /** "outbox" or "resend", stored on each outbox row. */
  readonly name: string;
  send(email: OutgoingEmail): Promise<DeliveryResult>;
}
