/**
 * Staff open and end customer portal sessions (`POST /v1/customers/:id/portal-sessions`, `.../revoke`):
 * ordinary API-key routes. What a session then does is ./routes.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Customer, PortalSession } from '../../db/entities';
import { ErrorSchema, invalidParam, notFound } from '../errors';
import { PORTAL_SESSION_DEFAULT_SECONDS, PORTAL_SESSION_MAX_SECONDS, PORTAL_SESSION_MIN_SECONDS, issuePortalSession } from '../../services/access/portal-sessions';
import { IdParams } from '../schemas';
import { PortalSessionResource, CreatePortalSession, SessionParams } from './schemas';
import { portalSessionResource } from './serialization';
import type { PortalDeps } from './options';
import { STAFF } from '../roles';

/** The caller's return URL, refused unless it is an absolute http(s) URL. */
function httpUrl(param: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidParam(param, `${param} must be an absolute http or https URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidParam(param, `${param} must be an absolute http or https URL.`);
  return url.toString();
}

export const portalSessionsRoutes: FastifyPluginAsyncTypebox<PortalDeps> = async (app, options) => {
  const { orm } = options;
  const staff = { roles: STAFF };

  const portalUrlFor = (request: FastifyRequest, token: string): string =>
    `${options.portalUrl ?? `${request.protocol}://${request.host}/portal`}#token=${encodeURIComponent(token)}`;

  app.post(
    '/customers/:id/portal-sessions',
    {
      config: { ...staff, secretFields: ['token', 'url'] },
      schema: {
        tags: ['customers'],
        summary: 'Open a customer portal session',
        description:
          'A short-lived token (cps_...) with which the customer sees and changes only its own records under /v1/portal: ' +
          'pay invoices, save a card, pause, resume, ask to cancel, switch to autopay. The token is returned once; hand the ' +
          'customer the url. The session may do only what the role of the key opening it may do through the staff routes ' +
          '(opened with a sales key, it cannot pause, resume, switch the collection method or pay: 403 portal_action_not_allowed). ' +
          `Lasts expires_in seconds (${PORTAL_SESSION_MIN_SECONDS} to ${PORTAL_SESSION_MAX_SECONDS}, default ${PORTAL_SESSION_DEFAULT_SECONDS}).`,
        params: IdParams,
        body: CreatePortalSession,
        response: { 200: PortalSessionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const customer = await em.findOne(Customer, { id: request.params.id });
      if (!customer) throw notFound('customer', request.params.id);
      const returnUrl = request.body.return_url === undefined ? null : httpUrl('return_url', request.body.return_url);
      const { session, token } = await issuePortalSession(em, {
        customerId: customer.id,
        expiresInSeconds: request.body.expires_in ?? PORTAL_SESSION_DEFAULT_SECONDS,
        returnUrl,
        // Always set: this route declares roles, so the auth plugin has checked a key.
        openedBy: request.apiKey!,
      });
      request.log.info({ customerId: customer.id, portalSessionId: session.id, expiresAt: session.expiresAt }, 'portal session issued');
      return portalSessionResource(session, { token, url: portalUrlFor(request, token) });
    },
  );

  app.post(
    '/customers/:id/portal-sessions/:session/revoke',
    {
      config: staff,
      schema: {
        tags: ['customers'],
        summary: 'End a customer portal session before it expires',
        description: 'Its token stops working at once. Revoking a revoked or expired session answers it as it is.',
        params: SessionParams,
        response: { 200: PortalSessionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const where = { id: request.params.session, customerId: request.params.id };
      const now = new Date();
      await em.nativeUpdate(PortalSession, { ...where, revokedAt: null }, { revokedAt: now });
      const session = await em.findOne(PortalSession, where);
      if (!session) throw notFound('portal_session', request.params.session);
      return portalSessionResource(session);
    },
  );

};
