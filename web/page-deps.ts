/**
 * What every page area gets: the API's route deps (ORM, Temporal client, the one way a change reaches a
 * workflow) plus what only pages need. Built once in `buildApp`, like the API's `RouteDeps`.
 */
import type { RouteDeps } from '../api/route-deps';
import type { CardEntry } from './payments/card-entry';
import type { PortalPageOptions } from './portal/options';
import type { InvoiceNumberFormat } from '../services/invoices/invoice-numbering';

export interface PageDeps extends RouteDeps {
  /** The address customers reach this app at (PUBLIC_URL): links in pages and emails start with it. */
  publicUrl: string;
  /** True when PUBLIC_URL is https: session and CSRF cookies are then `Secure`. */
  secureCookies: boolean;
  /** How pages take a card: the sandbox form, or Stripe.js with Stripe keys (web/payments/card-entry.ts). */
  cardEntry: CardEntry;
  /** `config.rateLimit` of every form that charges or saves a card typed into it (RATE_LIMIT_CARD_ATTEMPTS_PER_HOUR). */
  cardAttemptLimit: { max: number; timeWindow: number };
  /** The customer portal's settings (web/portal); DEFAULT_PORTAL_PAGE_OPTIONS when absent. */
  portal?: PortalPageOptions;
  /** Invoice numbers given when a page issues an invoice (a checkout); the API and worker use the same format. */
  invoiceNumbering: InvoiceNumberFormat;
}
