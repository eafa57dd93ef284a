/**
 * Customer portal sessions: a short-lived bearer token (`cps_...`, 192 random bits) scoped to one
 * customer. Staff issue it (`POST /v1/customers/:id/portal-sessions`); the portal routes under
 * `/v1/portal` take no API key and authenticate it here. Only the token's SHA-256 is stored.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { PortalSession, type ApiKey } from '../db/entities';
import { newId } from '../db/ids';
import { hashApiKey } from '../services/access/api-keys';
import { ApiError } from './errors';
import { bearerToken } from './bearer-token';

export const PORTAL_TOKEN_PREFIX = 'cps_';
export const PORTAL_SESSION_DEFAULT_SECONDS = 3600;
export const PORTAL_SESSION_MIN_SECONDS = 60;
export const PORTAL_SESSION_MAX_SECONDS = 86_400;

/** Same reasoning as API keys: 192 random bits need no slow hash, SHA-256 is enough. */
export const hashPortalToken = hashApiKey;

export const generatePortalToken = (): string => `${PORTAL_TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;

export interface IssuedPortalSession {
  session: PortalSession;
  /** Shown once; only its hash is stored. */
  token: string;
}

export async function issuePortalSession(
  em: EntityManager,
  {
    customerId,
    expiresInSeconds,
    returnUrl,
    openedBy,
  }: {
    customerId: string;
    expiresInSeconds: number;
    returnUrl: string | null;
    /** The API key that opens it: the session may never do more than this key's role (api/portal-permissions.ts). */
    openedBy: Pick<ApiKey, 'id' | 'role'>;
  },
): Promise<IssuedPortalSession> {
  const token = generatePortalToken();
  const now = new Date();
  const session = em.create(PortalSession, {
    id: newId('portalSession'),
    customerId,
    tokenHash: hashPortalToken(token),
    returnUrl,
    expiresAt: new Date(now.getTime() + expiresInSeconds * 1000),
    revokedAt: null,
    createdByKeyId: openedBy.id,
    openedByRole: openedBy.role,
    createdAt: now,
  });
  await em.flush();
  return { session, token };
}

const invalidSession = (message: string) => new ApiError(401, 'authentication_error', 'portal_session_invalid', message);

/**
 * The session a portal request carries, or a 401 `portal_session_invalid`: no token, not a portal
 * token (an API key is not one), unknown, expired or revoked. Nothing is cached: a revoke takes
 * effect on every API process at once.
 */
export async function authenticatePortalRequest(orm: MikroORM, request: FastifyRequest): Promise<PortalSession> {
  const token = bearerToken(request);
  if (!token) throw invalidSession('No portal session token provided. Send it as "Authorization: Bearer cps_...".');
  if (!token.startsWith(PORTAL_TOKEN_PREFIX)) throw invalidSession('The portal takes a portal session token (cps_...), not an API key.');
  const session = await orm.em.fork().findOne(PortalSession, { tokenHash: hashPortalToken(token), revokedAt: null, expiresAt: { $gt: new Date() } });
  if (!session) throw invalidSession('Invalid, expired or revoked portal session.');
  return session;
}
