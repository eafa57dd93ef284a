/**
 * The portal pages' session: the portal session token (`cps_...`, services/access/portal-sessions.ts)
 * kept in an httpOnly, SameSite=Lax cookie (Secure when PUBLIC_URL is https), whoever opened it: a
 * sign-in link, a registration, or staff through the API (the embedded `#token=` URL). Every page
 * checks it afresh: a revoked or expired session is no session.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { PortalSession } from '../../db/entities';
import { verifyPortalToken, type IssuedPortalSession } from '../../services/access/portal-sessions';
import { portalRoleMayUse } from '../../api/portal-permissions';

export const SESSION_COOKIE = 'portal_session';
const COOKIE_PATH = '/portal';

/** Where a visitor without a session is sent. */
export const SIGN_IN_PATH = '/portal/sign-in';

export function setSessionCookie(reply: FastifyReply, issued: Pick<IssuedPortalSession, 'token'> & { session: Pick<PortalSession, 'expiresAt'> }, secure: boolean): void {
  const maxAge = Math.max(0, Math.floor((issued.session.expiresAt.getTime() - Date.now()) / 1000));
  reply.setCookie(SESSION_COOKIE, issued.token, { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure, maxAge });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure });
}

/** The live session the request's cookie carries, or null. */
export async function cookieSession(orm: MikroORM, request: FastifyRequest): Promise<PortalSession | null> {
  const token = request.cookies[SESSION_COOKIE];
  if (!token) return null;
  const verified = await verifyPortalToken(orm.em.fork(), token);
  return 'refused' in verified ? null : verified;
}

/** The session, or null after answering 303 to the sign-in page (the caller returns the reply). */
export async function requireSession(orm: MikroORM, request: FastifyRequest, reply: FastifyReply): Promise<PortalSession | null> {
  const session = await cookieSession(orm, request);
  if (!session) {
    await reply.redirect(SIGN_IN_PATH, 303);
    return null;
  }
  return session;
}

/** The portal actions a page may offer, each named by the API route that does the same (api/portal-permissions.ts). */
export const PORTAL_ACTIONS = {
  pay: 'POST /v1/portal/invoices/:id/pay',
  pause: 'POST /v1/portal/subscriptions/:id/pause',
  resume: 'POST /v1/portal/subscriptions/:id/resume',
  cancel: 'POST /v1/portal/subscriptions/:id/cancel',
  paymentMethod: 'POST /v1/portal/payment-method',
  pdf: 'GET /v1/portal/invoices/:id/pdf',
} as const;

export type PortalAction = keyof typeof PORTAL_ACTIONS;

/** What this session may do, exactly as the API decides it for the same session. */
export function allowedActions(request: FastifyRequest, session: PortalSession): Record<PortalAction, boolean> {
  const allowed = {} as Record<PortalAction, boolean>;
  for (const [action, route] of Object.entries(PORTAL_ACTIONS) as [PortalAction, string][]) {
    allowed[action] = portalRoleMayUse(request.server, session.openedByRole, route);
  }
  return allowed;
}
