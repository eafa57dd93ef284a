import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import type { PaymentGateway } from '../activities/payments/gateway';
import type { Mailer } from '../activities/email/mailer';
import { SandboxGateway } from '../activities/payments/sandbox-gateway';
import { PostgresSandboxLedger } from '../activities/payments/sandbox-ledger';
import { StripeGateway, createStripeClient } from '../activities/payments/stripe-gateway';
import { OutboxMailer } from '../activities/email/outbox-mailer';
import { MailDropMailer } from '../activities/email/mail-drop';
import { ResendMailer, createResendClient } from '../activities/email/resend-mailer';

/** Real keys select the real services; without them money and mail stay on this machine. */
export function selectGateway(config: AppConfig, orm: MikroORM, log: Logger): PaymentGateway {
  if (config.stripeSecretKey) {
    log.info({ apiBase: config.stripeApiBase ?? 'api.stripe.com' }, 'payment gateway: stripe');
    return new StripeGateway(createStripeClient({ secretKey: config.stripeSecretKey, apiBase: config.stripeApiBase }));
  }
  log.info('payment gateway: sandbox (set STRIPE_SECRET_KEY to charge through Stripe)');
  return new SandboxGateway(new PostgresSandboxLedger(orm));
}

export function selectMailer(config: AppConfig, log: Logger): Mailer {
  if (config.resendApiKey) {
    log.info('mailer: resend');
    return new ResendMailer(createResendClient({ apiKey: config.resendApiKey }));
  }
  log.info('mailer: outbox only (set RESEND_API_KEY to deliver through Resend)');
  if (config.devMailDir) {
    log.info({ dir: config.devMailDir }, 'development mail folder: every delivered email is also written there as .eml');
    return new MailDropMailer(new OutboxMailer(), config.devMailDir);
  }
  return new OutboxMailer();
}
