import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { PaymentGateway } from './payments/gateway';
import type { Mailer } from './email/mailer';
import type { DunningPolicy } from '../domain/dunning';

/** What every activity is built from. The worker wires real adapters; tests may wire others. */
export interface ActivityDeps {
  orm: MikroORM;
  gateway: PaymentGateway;
  mailer: Mailer;
  log: Logger;
  emailFrom: string;
  /** Base URL for links in customer emails. */
  publicUrl: string;
  /** The customer portal's page, linked from notices that ask the customer to act (default PUBLIC_URL + `/portal`). */
  portalUrl?: string;
  /**
   * LINK_SIGNING_SECRET: signs the hosted invoice links in invoice emails (services/access/invoice-links.ts).
   * The worker process requires it (config.ts); without it (tests that do not read links) emails carry no
   * invoice link and point to the portal instead.
   */
  linkSigningSecret?: string;
  /** Prefix of invoice numbers, e.g. "INV-" gives INV-000001. */
  invoiceNumberPrefix: string;
  /** Digits the invoice sequence is zero-padded to (default 6). */
  invoiceNumberPadding?: number;
  /** Retry schedule and outcomes for failed charges; DEFAULT_DUNNING_POLICY when absent. */
  dunningPolicy?: DunningPolicy;
}
