/**
 * Every resource under `/v1`. `buildApp` registers this plugin once with `{ prefix: '/v1' }`, so route
 * paths are written without it; the routes still see their full URLs (`/v1/...`) in every hook (the
 * access-rule check in api/plugins/auth.ts, the portal's staff equivalents in api/portal-permissions.ts).
 * The order is the OpenAPI document's order of paths.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { InvoiceNumberFormat } from '../services/invoices/invoice-numbering';
import type { QuoteConfig } from '../config';
import type { RouteDeps } from './route-deps';
import type { CancellationMode } from './cancellation-requests/actions';
import { customersRoutes } from './customers/routes';
import { productsRoutes } from './products/routes';
import { pricesRoutes } from './prices/routes';
import { couponsRoutes } from './coupons/routes';
import { taxRatesRoutes } from './tax-rates/routes';
import { subscriptionsRoutes } from './subscriptions/routes';
import { subscriptionLifecycleRoutes } from './subscriptions/lifecycle-routes';
import { cancellationRequestsRoutes } from './cancellation-requests/routes';
import { subscriptionDiscountsRoutes } from './subscriptions/discounts-routes';
import { invoicesRoutes } from './invoices/routes';
import { invoiceActionsRoutes } from './invoices/actions-routes';
import { paymentsRoutes } from './payments/routes';
import { emailsRoutes } from './emails/routes';
import { apiKeysRoutes } from './api-keys/routes';
import { companyProfileRoutes } from './company-profile/routes';
import { invoiceDocumentsRoutes } from './invoices/documents-routes';
import { refundsRoutes } from './refunds/routes';
import { stripeWebhookRoutes } from './webhooks/routes';
import { webhookEventsRoutes } from './webhook-events/routes';
import { instalmentPlansRoutes } from './instalment-plans/routes';
import { instalmentBalancesRoutes } from './instalment-plans/balances-routes';
import { subscriptionPlanChangesRoutes } from './subscriptions/plan-changes-routes';
import { portalSessionsRoutes } from './portal/sessions-routes';
import { customerPortalRoutes } from './portal/routes';
import { quotesRoutes } from './quotes/routes';
import { onboardingTasksRoutes } from './quotes/onboarding-tasks-routes';
import { publicQuotesRoutes } from './quotes/public-routes';
import { paymentLinksRoutes } from './payment-links/routes';

/** How long `POST /v1/refunds` waits for the refund to settle before answering with it still pending. */
const REFUND_ANSWER_WAIT_MS = 5_000;

export interface V1Options {
  deps: RouteDeps;
  invoiceNumbering: InvoiceNumberFormat;
  stripeWebhookSecret: string | undefined;
  quotes: QuoteConfig;
  cancellationRequests: CancellationMode;
  portalUrl: string | undefined;
  /** PUBLIC_URL, without a trailing slash: where the customer pages are (a payment link's `url`). */
  publicUrl: string;
}

export const v1Routes: FastifyPluginAsyncTypebox<V1Options> = async (v1, options) => {
  const { deps } = options;
  await v1.register(customersRoutes, deps);
  await v1.register(productsRoutes, deps);
  await v1.register(pricesRoutes, deps);
  await v1.register(couponsRoutes, deps);
  await v1.register(taxRatesRoutes, deps);
  await v1.register(subscriptionsRoutes, deps);
  await v1.register(subscriptionLifecycleRoutes, deps);
  await v1.register(cancellationRequestsRoutes, { ...deps, mode: options.cancellationRequests });
  await v1.register(subscriptionDiscountsRoutes, deps);
  await v1.register(invoicesRoutes, { ...deps, invoiceNumbering: options.invoiceNumbering });
  await v1.register(invoiceActionsRoutes, deps);
  await v1.register(paymentsRoutes, deps);
  await v1.register(emailsRoutes, deps);
  await v1.register(apiKeysRoutes, deps);
  await v1.register(companyProfileRoutes, deps);
  await v1.register(invoiceDocumentsRoutes, deps);
  await v1.register(refundsRoutes, { ...deps, refundAnswerWaitMs: REFUND_ANSWER_WAIT_MS });
  await v1.register(stripeWebhookRoutes, { ...deps, secret: options.stripeWebhookSecret });
  await v1.register(webhookEventsRoutes, deps);
  await v1.register(instalmentPlansRoutes, deps);
  await v1.register(instalmentBalancesRoutes, deps);
  await v1.register(subscriptionPlanChangesRoutes, deps);
  const portal = { ...deps, cancellationRequests: options.cancellationRequests, portalUrl: options.portalUrl };
  await v1.register(portalSessionsRoutes, portal);
  await v1.register(customerPortalRoutes, portal);
  await v1.register(quotesRoutes, { ...deps, quotes: options.quotes });
  await v1.register(onboardingTasksRoutes, deps);
  await v1.register(publicQuotesRoutes, deps);
  await v1.register(paymentLinksRoutes, { ...deps, publicUrl: options.publicUrl });
};
