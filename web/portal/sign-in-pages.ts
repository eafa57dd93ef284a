/**
 * Signing in to the portal: an email address, then a one-time link by email
 * (services/access/portal-sign-in-links.ts). The answer to the address is the same page whether or not
 * a customer has it, so the form tells nobody who has an account. The link's page only shows a button:
 * a mail scanner that fetches the link does not use it up; the button's POST does, once, and opens the
 * session in a cookie. Staff-issued sessions reach the portal as `/portal#token=cps_...`: the portal's
 * page hands the fragment to `POST /portal/session` (a nonce'd script), which sets the same cookie.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PortalSession } from '../../db/entities';
import { verifyPortalToken } from '../../services/access/portal-sessions';
import { inspectSignInLink, signInWithLink } from '../../services/access/portal-sign-in-links';
import { requestSignInLinks } from '../../services/access/request-sign-in-link';
import { PostgresRateLimitStore } from '../../api/plugins/rate-limit-store';
import { formatters, resolveLocale } from '../i18n';
import { renderPage } from '../render';
import type { PageDeps } from '../page-deps';
import { accessRateLimit, type PortalPageOptions } from './options';
import { SIGN_IN_PATH, clearSessionCookie, cookieSession, setSessionCookie } from './session';

/** Links asked for one address within the window; past it the page answers the same and sends nothing. */
const LINKS_PER_ADDRESS = 3;
const ADDRESS_WINDOW_MS = 15 * 60 * 1000;

/** Deliberately loose: one @, something on each side, no spaces. The mailbox proves the rest. */
export const looksLikeEmail = (value: string): boolean => value.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);

const bodyField = (request: FastifyRequest, name: string): string => {
  const value = (request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

const t = (request: FastifyRequest) => formatters(resolveLocale(request.headers['accept-language'])).t;

/** The sign-in form (also what `/portal` shows without a session, with the embedding script). */
export function renderSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  portal: PortalPageOptions,
  extra: { email?: string; errors?: Record<string, string>; embed?: boolean; signedOut?: boolean } = {},
  status = 200,
): Promise<FastifyReply> {
  return renderPage(request, reply, 'portal/sign-in', { title: t(request)('portal.signInTitle'), registration: portal.registration, email: '', errors: {}, embed: false, signedOut: false, ...extra }, status);
}

export async function signInPages(app: FastifyInstance, deps: PageDeps & { portal: PortalPageOptions }): Promise<void> {
  const { orm, portal } = deps;
  const page = { public: true } as const;
  const limited = { public: true, rateLimit: accessRateLimit(portal) } as const;
  const hide = { hide: true };
  const perAddress = new PostgresRateLimitStore(orm, 'portal-sign-in-address');

  app.get('/portal/sign-in', { config: page, schema: hide }, async (request, reply) => {
    if (await cookieSession(orm, request)) return reply.redirect('/portal', 303);
    const signedOut = (request.query as Record<string, unknown>).signed_out === '1';
    return renderSignIn(request, reply, portal, { signedOut });
  });

  app.post('/portal/sign-in', { config: limited, schema: hide }, async (request, reply) => {
    const email = bodyField(request, 'email').trim();
    if (!looksLikeEmail(email)) {
      return renderSignIn(request, reply, portal, { email, errors: { email: t(request)('portal.emailInvalid') } }, 400);
    }
    // Counted per address (its hash: no address is kept in the counters), so nobody can flood one inbox.
    const addressKey = createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 32);
    const { current } = await perAddress.increment(addressKey, ADDRESS_WINDOW_MS);
    if (current <= LINKS_PER_ADDRESS) {
      // Not awaited: starting the emails' workflows takes time only for an address that has an account,
      // and the answer must not come later for one than for the other.
      const log = request.log;
      requestSignInLinks(deps, email).then(
        (sent) => log.info({ linksRequested: sent }, 'portal sign-in link requested'),
        (err: unknown) => log.error({ err }, 'portal sign-in link could not be requested'),
      );
    } else {
      request.log.warn('portal sign-in links for one address over the limit: none sent');
    }
    return renderPage(request, reply, 'portal/check-email', { title: t(request)('portal.checkEmailTitle') });
  });

  /** A link that is not valid any more: one page for unknown, used and expired alike. */
  const linkInvalid = (request: FastifyRequest, reply: FastifyReply) =>
    renderPage(request, reply, 'portal/link-invalid', { title: t(request)('portal.linkInvalidTitle') }, 404);

  app.get<{ Params: { token: string } }>('/portal/sign-in/:token', { config: page, schema: hide }, async (request, reply) => {
    const link = await inspectSignInLink(orm.em.fork(), request.params.token);
    if ('refused' in link) return linkInvalid(request, reply);
    // Not used here: the button below uses it. The token stays out of logs and referrers (no-referrer).
    return renderPage(request, reply, 'portal/confirm-sign-in', { title: t(request)('portal.confirmTitle'), action: request.url });
  });

  app.post<{ Params: { token: string } }>('/portal/sign-in/:token', { config: limited, schema: hide }, async (request, reply) => {
    const opened = await signInWithLink(orm.em.fork(), request.params.token);
    if ('refused' in opened) return linkInvalid(request, reply);
    setSessionCookie(reply, opened, deps.secureCookies);
    request.log.info({ customerId: opened.session.customerId, portalSessionId: opened.session.id }, 'portal signed in by link');
    return reply.redirect('/portal', 303);
  });

  // The embedded URL's session (`#token=cps_...`), handed over by the portal page's script.
  app.post('/portal/session', { config: page, schema: hide }, async (request, reply) => {
    const verified = await verifyPortalToken(orm.em.fork(), bodyField(request, 'token'));
    if ('refused' in verified) return reply.code(401).type('text/plain').send('invalid session');
    setSessionCookie(reply, { token: bodyField(request, 'token'), session: verified }, deps.secureCookies);
    return reply.code(204).send();
  });

  app.post('/portal/sign-out', { config: page, schema: hide }, async (request, reply) => {
    const session = await cookieSession(orm, request);
    if (session) await orm.em.fork().nativeUpdate(PortalSession, { id: session.id, revokedAt: null }, { revokedAt: new Date() });
    clearSessionCookie(reply, deps.secureCookies);
    return reply.redirect(`${SIGN_IN_PATH}?signed_out=1`, 303);
  });
}
