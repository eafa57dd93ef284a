/**
 * Customer portal sessions: a short-lived bearer token (`cps_...`, 192 random bits) scoped to one
 * customer. Staff issue it (`POST /v1/customers/:id/portal-sessions`); the portal routes under
 * `/v1/portal` take no API key and present it (api/plugins/portal-auth.ts), verified here. Only the
 * token's SHA-256 is stored.
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PortalSession, type ApiKeyRole } from '../../db/entities';
import { newId } from '../../db/ids';
import { hashApiKey } from './api-keys';

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
    /**
     * The API key that opens it, or (`id` null) the customer's own sign-in with the role the portal grants
     * it (services/access/portal-sign-in-links.ts): the session may never do more than this role (api/portal-permissions.ts).
     */
    openedBy: { id: string | null; role: ApiKeyRole };
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

/** Why a presented token opens no session: the sentence the caller is told. */
export interface PortalTokenRefusal {
  refused: string;
}

/**
 * The session a portal token opens at `now`, or why it opens none: no token, not a portal token (an
 * API key is not one), unknown, expired or revoked. Nothing is cached: a revoke takes effect on every
 * API process at once.
 */
export async function verifyPortalToken(em: EntityManager, token: string | null, now = new Date()): Promise<PortalSession | PortalTokenRefusal> {
  if (!token) return { refused: 'No portal session token provided. Send it as "Authorization: Bearer cps_...".' };
  if (!token.startsWith(PORTAL_TOKEN_PREFIX)) return { refused: 'The portal takes a portal session token (cps_...), not an API key.' };
  const session = await em.findOne(PortalSession, { tokenHash: hashPortalToken(token), revokedAt: null, expiresAt: { $gt: now } });
  return session ?? { refused: 'Invalid, expired or revoked portal session.' };
}
