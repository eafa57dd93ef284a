/**
 * What a customer portal session may do: never more than the role of the API key that opened it may do
 * through the staff API (a sales key cannot pause a subscription, so neither can a session it opened).
 *
 * ONE table pairs each portal route with the staff route that does the same thing; the session's
 * opening role must be among that staff route's roles, read from the staff route's own `config.roles`
 * (api/plugins/auth.ts keeps them), so the two cannot drift apart. A portal route without a row is
 * refused at registration.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyRole, PortalSession } from '../db/entities';
import { ApiError } from './errors';

/** `METHOD /v1/portal/...` → the `METHOD /v1/...` staff route whose roles it takes. */
export const PORTAL_STAFF_EQUIVALENTS: Readonly<Record<string, string>> = {
  'GET /v1/portal/customer': 'GET /v1/customers/:id',
  'POST /v1/portal/payment-method': 'POST /v1/customers/:id/payment-method',
  'GET /v1/portal/subscriptions': 'GET /v1/subscriptions',
  'GET /v1/portal/subscriptions/:id': 'GET /v1/subscriptions/:id',
  'POST /v1/portal/subscriptions/:id/pause': 'POST /v1/subscriptions/:id/pause',
  'POST /v1/portal/subscriptions/:id/resume': 'POST /v1/subscriptions/:id/resume',
  // The portal's cancel records a cancellation request (applied at once only with CANCELLATION_REQUESTS=immediate, as on the staff route).
  'POST /v1/portal/subscriptions/:id/cancel': 'POST /v1/subscriptions/:id/cancellation-requests',
  'POST /v1/portal/subscriptions/:id/collection-method': 'POST /v1/subscriptions/:id/collection-method',
  'GET /v1/portal/invoices': 'GET /v1/invoices',
  'GET /v1/portal/invoices/:id': 'GET /v1/invoices/:id',
  'GET /v1/portal/invoices/:id/pdf': 'GET /v1/invoices/:id/pdf',
  // Paying now is the collection's retry taken early: the same workflow update as retry-payment.
  'POST /v1/portal/invoices/:id/pay': 'POST /v1/invoices/:id/retry-payment',
};

/** A HEAD route Fastify derives from a GET route is the GET's action. */
const routeKey = (method: string, url: string): string => `${method === 'HEAD' ? 'GET' : method} ${url}`;

/** Registration-time check, for the portal scope's `onRoute` hook: every portal route has a row. */
export function assertPortalRouteHasEquivalent(method: string, url: string): void {
  if (PORTAL_STAFF_EQUIVALENTS[routeKey(method, url)] === undefined) {
    throw new Error(`${method} ${url}: a portal route needs a row in PORTAL_STAFF_EQUIVALENTS (api/portal-permissions.ts)`);
  }
}

/**
 * Whether a session opened with `role` may do what the portal route `portalRoute` (`'POST /v1/portal/...'`)
 * does: the same answer for the API and for the portal's pages (web/portal), which offer only these actions.
 */
export function portalRoleMayUse(app: FastifyInstance, role: ApiKeyRole, portalRoute: string): boolean {
  const staffRoute = PORTAL_STAFF_EQUIVALENTS[portalRoute];
  // Fail closed: a row naming a staff route that is not registered admits nobody.
  const roles = staffRoute === undefined ? [] : (app.routeRoles(staffRoute) ?? []);
  return roles.includes(role);
}

/** 403 `portal_action_not_allowed` unless the session's opening role may use the equivalent staff route. */
export function assertPortalActionAllowed(app: FastifyInstance, request: FastifyRequest, session: PortalSession): void {
  const portalRoute = routeKey(request.method, request.routeOptions.url ?? '');
  const staffRoute = PORTAL_STAFF_EQUIVALENTS[portalRoute];
  if (!portalRoleMayUse(app, session.openedByRole, portalRoute)) {
    throw new ApiError(
      403,
      'permission_error',
      'portal_action_not_allowed',
      `This portal session was opened with a ${session.openedByRole} API key, and the ${session.openedByRole} role cannot do this ` +
        `(${staffRoute ?? 'no staff equivalent'}): ask for a session opened by an operator.`,
    );
  }
}
