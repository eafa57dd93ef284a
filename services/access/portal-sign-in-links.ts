/**
 * One-time sign-in links to the customer portal (`psl_...`, 192 random bits). A customer asks for one
 * on the sign-in page with its email address; the worker mints the token, stores only its SHA-256 and
 * emails the link (activities/portal-sign-in.ts). The link opens one portal session, once, within
 * 15 minutes of the request.
 *
 * The session it opens carries the role CUSTOMER_SIGN_IN_ROLE: a session may do only what the role that
 * opened it may do through the staff API (api/portal-permissions.ts), and every portal action (pay,
 * pause, resume, switch to autopay, save a card, ask to cancel, read) is allowed to `operator`; `sales`
 * cannot pay, pause or resume, and `admin` would allow nothing more in the portal. The session stays
 * confined to the customer's own records whatever its role, so `operator` is the least that lets a
 * customer do what the portal offers.
 */
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PortalSignInLink, type ApiKeyRole } from '../../db/entities';
import { newId } from '../../db/ids';
import { hashApiKey } from './api-keys';
import { PORTAL_SESSION_DEFAULT_SECONDS, issuePortalSession, type IssuedPortalSession } from './portal-sessions';

export const SIGN_IN_LINK_PREFIX = 'psl_';
/** A link is good for this long after the customer asked for it. */
export const SIGN_IN_LINK_TTL_MS = 15 * 60 * 1000;
/** The role a customer's own sign-in opens its session with (see above). */
export const CUSTOMER_SIGN_IN_ROLE: ApiKeyRole = 'operator';
/** How long a session opened by a sign-in link or a registration lasts. */
export const CUSTOMER_SESSION_SECONDS = PORTAL_SESSION_DEFAULT_SECONDS;

/** 192 random bits: like API keys and portal sessions, SHA-256 is enough (no slow hash needed). */
export const hashSignInToken = hashApiKey;

export const generateSignInToken = (): string => `${SIGN_IN_LINK_PREFIX}${randomBytes(24).toString('base64url')}`;

/** The public path of a sign-in link: `${publicUrl}${signInLinkPath(token)}`. */
export const signInLinkPath = (token: string): string => `/portal/sign-in/${token}`;

/** Mints a link for the customer, good until `requestedAt` + 15 minutes; the caller flushes. The token is returned once. */
export function addSignInLink(em: EntityManager, { customerId, emailKey, requestedAt }: { customerId: string; emailKey: string; requestedAt: Date }): { link: PortalSignInLink; token: string } {
  const token = generateSignInToken();
  const link = em.create(PortalSignInLink, {
    id: newId('portalSignInLink'),
    customerId,
    tokenHash: hashSignInToken(token),
    emailKey,
    expiresAt: new Date(requestedAt.getTime() + SIGN_IN_LINK_TTL_MS),
    usedAt: null,
    // Its life counts from the request, however late the worker minted it.
    createdAt: requestedAt,
  });
  return { link, token };
}

/** Why a link opens nothing: never said to the customer in more words than "not valid any more". */
export type SignInLinkRefusal = 'not_a_link' | 'unknown' | 'expired' | 'used';

/** A token of the right shape: the prefix and 32 base64url characters. Anything else is not looked up. */
const wellFormed = (token: string): boolean => token.startsWith(SIGN_IN_LINK_PREFIX) && /^[A-Za-z0-9_-]{32}$/.test(token.slice(SIGN_IN_LINK_PREFIX.length));

/** The link a token names, as it stands at `now`, without using it (the confirm page a mail scanner may fetch). */
export async function inspectSignInLink(em: EntityManager, token: string, now = new Date()): Promise<PortalSignInLink | { refused: SignInLinkRefusal }> {
  if (!wellFormed(token)) return { refused: 'not_a_link' };
  const link = await em.findOne(PortalSignInLink, { tokenHash: hashSignInToken(token) });
  if (!link) return { refused: 'unknown' };
  if (link.usedAt) return { refused: 'used' };
  if (link.expiresAt.getTime() <= now.getTime()) return { refused: 'expired' };
  return link;
}

/**
 * Uses the link once and opens the customer's portal session. One conditional update marks it used,
 * so two confirmations racing each other open one session between them.
 */
export async function signInWithLink(em: EntityManager, token: string, now = new Date()): Promise<IssuedPortalSession | { refused: SignInLinkRefusal }> {
  const inspected = await inspectSignInLink(em, token, now);
  if ('refused' in inspected) return inspected;
  const used = await em.nativeUpdate(PortalSignInLink, { id: inspected.id, usedAt: null, expiresAt: { $gt: now } }, { usedAt: now });
  if (used === 0) return { refused: 'used' };
  return openCustomerSession(em, inspected.customerId);
}

/** A portal session the customer opened itself (sign-in link or registration): no API key, CUSTOMER_SIGN_IN_ROLE. */
export function openCustomerSession(em: EntityManager, customerId: string): Promise<IssuedPortalSession> {
  return issuePortalSession(em, {
    customerId,
    expiresInSeconds: CUSTOMER_SESSION_SECONDS,
    returnUrl: null,
    openedBy: { id: null, role: CUSTOMER_SIGN_IN_ROLE },
  });
}
