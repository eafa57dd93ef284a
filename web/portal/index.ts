/**
 * The customer portal's pages (`/portal`): signing in by one-time link or an embedded staff-issued
 * session, registration, and the signed-in pages (home, invoices, subscriptions, payment method,
 * billing details). They call the same services and actions as the API's `/v1/portal` routes and allow
 * a session exactly what those routes allow it (api/portal-permissions.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { PageDeps } from '../page-deps';
import { DEFAULT_PORTAL_PAGE_OPTIONS } from './options';
import { signInPages } from './sign-in-pages';
import { registerPages } from './register-pages';
import { accountPages } from './account-pages';
import { invoicePages } from './invoice-pages';
import { subscriptionPages } from './subscription-pages';

export async function portalPages(app: FastifyInstance, pageDeps: PageDeps): Promise<void> {
  const deps = { ...pageDeps, portal: pageDeps.portal ?? DEFAULT_PORTAL_PAGE_OPTIONS };
  await signInPages(app, deps);
  await registerPages(app, deps);
  await accountPages(app, deps);
  await invoicePages(app, deps);
  await subscriptionPages(app, deps);
}
