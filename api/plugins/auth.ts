import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { ApiKey, ApiKeyRole } from '../../db/entities';
import { ApiError } from '../errors';
import { findActiveKey } from '../api-keys';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on this route. Every `/v1` route must declare it; there is no default. */
    roles?: readonly ApiKeyRole[];
    /**
     * A `/v1` route that authenticates its callers itself and takes no API key: a signed gateway
     * webhook, or a quote's acceptance link (its token is the credential). Must be `true` exactly and
     * never combined with `roles`: a route is either public or role-checked, never ambiguously both.
     */
    public?: boolean;
  }
  interface FastifyRequest {
    apiKey: ApiKey | null;
  }
}

const unauthenticated = (message: string) => new ApiError(401, 'authentication_error', 'api_key_invalid', message);

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

/** API keys (`Authorization: Bearer bk_...`) with roles, checked on every `/v1` route. */
export default fp(async function auth(app: FastifyInstance, opts: { orm: MikroORM }) {
  app.decorateRequest('apiKey', null);

  // Refuse an ambiguous access rule when the route is registered, not when it is first called.
  app.addHook('onRoute', (route) => {
    if (route.config?.public === true && route.config.roles !== undefined) {
      throw new Error(`${String(route.method)} ${route.url}: a public route takes no roles`);
    }
  });

  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/v1/')) return;
    if (request.routeOptions.config.public === true) return;
    const roles = request.routeOptions.config.roles;
    if (!roles) {
      // An unmatched /v1 URL falls through to the 404 handler, but only for authenticated callers.
      if (request.routeOptions.url !== undefined) throw new ApiError(500, 'api_error', 'route_without_roles', 'Route has no access rule.');
    }
    const token = bearerToken(request);
    if (!token) throw unauthenticated('No API key provided. Send it as "Authorization: Bearer <key>".');
    const key = await findActiveKey(opts.orm.em.fork(), token);
    if (!key) throw unauthenticated('Invalid or revoked API key.');
    request.apiKey = key;
    if (roles && !roles.includes(key.role)) {
      throw new ApiError(403, 'permission_error', 'role_not_allowed', `The ${key.role} role cannot use ${request.method} ${request.routeOptions.url}.`);
    }
  });
});
