import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ApiError } from '../errors';
import { bearerToken } from '../bearer-token';
import type { RateLimits } from '../../config';
import { PostgresRateLimitStore } from './rate-limit-store';
import type { FailedAuthentications } from '../../services/access/api-keys';

const tooManyRequests = (retryAfterSeconds: number) =>
  new ApiError(429, 'invalid_request_error', 'rate_limit', `Too many requests: retry in ${retryAfterSeconds} s.`);

/**
 * Whose budget a request spends. A verified API key is the key; any other bearer token (a portal
 * session, checked later by the portal routes) is its hash; an anonymous request is its client IP,
 * on the tighter per-minute budget when the route is public. A made-up token gets a bucket of its
 * own here, so guessing is bounded by the failed-authentication cap, not by this limit.
 */
function budgetKey(request: FastifyRequest): string {
  if (request.apiKey) return `key:${request.apiKey.id}`;
  const token = bearerToken(request);
  if (token) return `token:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
  return request.routeOptions.config.public === true ? `public:${request.ip}` : `ip:${request.ip}`;
}

const isPublicBudget = (key: string) => key.startsWith('public:');

/** A 429 with Retry-After when the caller's failed authentications reached the cap; nothing otherwise. */
export function refuseAtFailureCap(reply: FastifyReply, failures: FailedAuthentications, cap: number): void {
  if (failures.current < cap) return;
  const seconds = Math.max(1, Math.ceil(failures.ttl / 1000));
  reply.header('retry-after', seconds);
  throw tooManyRequests(seconds);
}

/**
 * Whether the auth plugin reads the failure counter itself, in the same statement as the key
 * (services/access/api-keys.ts): a bearer token on a role-checked route. Everything else is read here.
 */
const capReadWithKey = (request: FastifyRequest) => request.routeOptions.config.roles !== undefined && bearerToken(request) !== null;

/**
 * Rate limits on every route (@fastify/rate-limit, counters in PostgreSQL so all API processes share
 * them) and a cap on failed authentications per IP. Registered before the auth plugin: the failure
 * cap is checked before a credential is used (for an API key on a role-checked route, by the auth
 * plugin in the key's own lookup, which it ignores at the cap), the per-credential limit runs on each
 * route's own onRequest hook, after authentication has named the key.
 */
export default fp(async function rateLimits(app: FastifyInstance, opts: { orm: MikroORM; limits: RateLimits }) {
  const { orm, limits } = opts;

  const failures = new PostgresRateLimitStore(orm, 'auth-failures');
  app.addHook('onRequest', async (request, reply) => {
    // Anonymous calls to public routes present no credential to guess; everything else is checked.
    if (request.routeOptions.config.public === true && bearerToken(request) === null) return;
    if (capReadWithKey(request)) return;
    // With PostgreSQL down the cap cannot be read; the request goes on and the credential lookup
    // answers 503 like everything else that needs the database.
    refuseAtFailureCap(reply, await failures.current(request.ip).catch(() => ({ current: 0, ttl: 0 })), limits.authFailures);
  });
  // Counted before the 401 is sent, not after: a client that waits for each answer always meets the
  // cap on its next try (counting after the answer raced with that next request's read).
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode !== 401) return payload;
    await failures.increment(request.ip, limits.authFailureWindowSeconds * 1000).catch((error: unknown) => {
      // A counter that could not be written only makes the cap lenient; the 401 is sent all the same.
      request.log.warn({ err: error }, 'could not count a failed authentication');
    });
    return payload;
  });

  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    store: class extends PostgresRateLimitStore {
      constructor() {
        super(orm, 'requests');
      }
    },
    keyGenerator: budgetKey,
    // Fail open on a store error (PostgreSQL down): the route itself then answers 503, not the limiter 500.
    skipOnError: true,
    max: (_request, key) => (isPublicBudget(key) ? limits.publicPerMinute : limits.perCredentialPerSecond),
    timeWindow: (_request, key) => (isPublicBudget(key) ? 60_000 : 1_000),
    errorResponseBuilder: (_request, context) => tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
});
