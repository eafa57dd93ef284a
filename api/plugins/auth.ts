/**
 * Who may call a route, decided on the route the router matched (`request.routeOptions`), never on how
 * the URL was spelled: the router decodes %-escapes (`/%761/customers` is `/v1/customers`) and reads the
 * path out of an absolute-form request line (`GET http://host/v1/customers`), so any test on the raw
 * URL can be walked around.
 *
 * Deny by default: every route declares, when it is registered, either `config.roles` (an API key of one
 * of those roles) or `config.public: true` (no API key: health, docs, signed webhooks, links whose token
 * is the credential, the portal's session-authenticated routes). A route that declares neither, or both,
 * is refused at registration, so a forgotten rule fails the app's start instead of opening a hole.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginCallback, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { ApiKeyRole } from '../../db/entities';
import { ApiError, routeNotFound } from '../errors';
import { API_KEY_ROLES, type AuthenticatedKey, authenticateApiKey } from '../../services/access/api-keys';
import { bearerToken } from '../bearer-token';
import { refuseAtFailureCap } from './rate-limits';
import { DEFAULT_RATE_LIMITS } from '../../config';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on this route. Every route declares it or `public`; there is no default. */
    roles?: readonly ApiKeyRole[];
    /**
     * A route that takes no API key and authenticates its callers itself, or needs none: a signed gateway
     * webhook, a quote's acceptance link (its token is the credential), the portal (its session token),
     * health checks, the API docs. Must be `true` exactly and never combined with `roles`: a route is
     * either public or role-checked, never ambiguously both.
     */
    public?: boolean;
  }
  interface FastifyRequest {
    apiKey: AuthenticatedKey | null;
  }
  interface FastifyInstance {
    /** The roles a registered route declares (`'POST /v1/subscriptions/:id/pause'`), undefined for a public or unknown route. */
    routeRoles(route: string): readonly ApiKeyRole[] | undefined;
  }
}

const unauthenticated = (message: string) => new ApiError(401, 'authentication_error', 'api_key_invalid', message);

/** Why a route's access rule is unusable, or null when it is one of the two allowed forms. */
function accessRuleProblem(config: RouteOptions['config']): string | null {
  const isPublic = config?.public;
  const roles = config?.roles;
  if (isPublic !== undefined && isPublic !== true) return 'config.public must be exactly true when given';
  if (isPublic === true) return roles === undefined ? null : 'a public route takes no roles';
  if (roles === undefined) return 'declares neither config.roles nor config.public: true';
  if (roles.length === 0 || roles.some((role) => !API_KEY_ROLES.includes(role))) return `config.roles must list roles among ${API_KEY_ROLES.join(', ')}`;
  return null;
}

/** Marks a plugin scope whose routes are all public (see `publicRoutes`); inherited by its child scopes. */
const kPublicScope = Symbol('publicRoutesScope');
type MaybePublicScope = FastifyInstance & { [kPublicScope]?: true };

/**
 * Registers a third-party plugin whose routes cannot declare an access rule themselves (the docs UI) and
 * are all public: every route it adds gets `config.public = true`, as if it had said so.
 */
export function publicRoutes<Options extends Record<string, unknown>>(
  plugin: FastifyPluginAsync<Options> | FastifyPluginCallback<Options>,
): FastifyPluginAsync<Options> {
  return async (scope, options) => {
    (scope as MaybePublicScope)[kPublicScope] = true;
    // The prefix is already this scope's: passed on, the plugin's routes would get it twice.
    const { prefix: _prefix, ...rest } = options as Options & { prefix?: string };
    await scope.register(plugin as FastifyPluginAsync<Options>, rest as Options);
  };
}

/**
 * API keys (`Authorization: Bearer bk_...`) with roles, on every route not declared public. Register it
 * before any route, so that every route's access rule is checked. `authFailureCap`: the failed
 * authentications per address at which a key is no longer looked at (RATE_LIMIT_AUTH_FAILURES).
 */
export default fp(async function auth(app: FastifyInstance, opts: { orm: MikroORM; authFailureCap?: number }) {
  app.decorateRequest('apiKey', null);
  const rolesByRoute = new Map<string, readonly ApiKeyRole[]>();
  app.decorate('routeRoles', (route: string) => rolesByRoute.get(route));

  // Refuse a missing or ambiguous access rule when the route is registered, not when it is first called.
  app.addHook('onRoute', function checkAccessRule(this: MaybePublicScope, route) {
    if (this[kPublicScope]) route.config = { ...route.config, public: true };
    const problem = accessRuleProblem(route.config);
    if (problem) throw new Error(`${String(route.method)} ${route.url}: ${problem}`);
    const roles = route.config?.roles;
    if (roles) for (const method of ([] as string[]).concat(route.method)) rolesByRoute.set(`${method} ${route.url}`, roles);
  });

  app.addHook('onRequest', async (request, reply) => {
    // No route matched: the not-found handler answers 404 and runs nothing else. Unknown /v1 URLs do not
    // get here: the catch-all route below takes them, so they are matched and need a key.
    if (request.is404) return;
    const { config } = request.routeOptions;
    if (config.public === true) return;
    // Deny by default: a context without roles (no route can be registered so) admits no role.
    const roles = config.roles ?? [];
    const token = bearerToken(request);
    if (!token) throw unauthenticated('No API key provided. Send it as "Authorization: Bearer <key>".');
    const { failures, key } = await authenticateApiKey(opts.orm, token, request.ip);
    // The cap on failed authentications, read in the same statement: at the cap the key is not looked at.
    refuseAtFailureCap(reply, failures, opts.authFailureCap ?? DEFAULT_RATE_LIMITS.authFailures);
    if (!key) throw unauthenticated('Invalid or revoked API key.');
    request.apiKey = key;
    if (!roles.includes(key.role)) {
      throw new ApiError(403, 'permission_error', 'role_not_allowed', `The ${key.role} role cannot use ${request.method} ${request.routeOptions.url}.`);
    }
  });

  // Any other URL the router reads as under /v1 (however it is spelled): a 404 for any valid key, a 401
  // without one, so an anonymous caller cannot tell which /v1 routes exist. A route on the root scope,
  // so that every hook the app adds (limits, headers) applies to it as to the others.
  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/v1/*',
    config: { roles: API_KEY_ROLES },
    schema: { hide: true },
    handler: async (request) => {
      throw routeNotFound(request.method, request.url);
    },
  });
});
