/**
 * The customer pages, in the same Fastify app as the API and calling the same services.
 *
 * Everything here is scoped to the pages (an encapsulated plugin): cookies, form bodies, CSRF checks
 * on every POST, the template engine (Eta, escaping by default) and a Content-Security-Policy whose
 * nonce changes per request, replacing the API's "nothing may load" policy on HTML answers. Each page
 * area registers below; every page route is `config.public` (a page authenticates by its link's token
 * or the portal's cookie, not an API key) and `schema.hide` (pages are not part of the OpenAPI document).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import formBody from '@fastify/formbody';
import csrf from '@fastify/csrf-protection';
import view from '@fastify/view';
import { Eta } from 'eta';
import { loadBrand } from '../services/documents/brand';
import { formatters, resolveLocale } from './i18n';
import type { PageDeps } from './page-deps';
import type { CardEntrySources } from './payments/card-entry';
import { renderPage } from './render';
import { portalPages } from './portal';
import { hostedInvoicePages } from './hosted-invoice/routes';
import { quotePages } from './quotes/quote-pages';
import { checkoutPages } from './checkout/routes';

const NO_CARD_ENTRY_SOURCES: CardEntrySources = { script: [], frame: [], connect: [], img: [] };

/**
 * Where a page may load from. The card entry adds its origins (Stripe.js with Stripe keys: its script,
 * iframes and API, web/payments/stripe-card-entry.ts). Scripts need the request's nonce in any case:
 * with 'strict-dynamic' a browser ignores the script origins, which only serve browsers without it.
 */
export function contentSecurityPolicy(nonce: string, cardEntry: CardEntrySources = NO_CARD_ENTRY_SOURCES): string {
  const also = (sources: readonly string[]) => sources.map((source) => ` ${source}`).join('');
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' 'strict-dynamic'${also(cardEntry.script)}`,
    `style-src 'self' 'nonce-${nonce}'`,
    `img-src 'self' data:${also(cardEntry.img)}`,
    "font-src 'self'",
    `connect-src 'self'${also(cardEntry.connect)}`,
    ...(cardEntry.frame.length > 0 ? [`frame-src${also(cardEntry.frame)}`] : []),
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Small static files the pages link to: read once at start, served by name only (no path is ever joined from a request). */
const ASSETS: Record<string, string> = {
  'site.css': 'text/css; charset=utf-8',
  // Card entry (web/payments): the sandbox's simulated 3-D Secure step, and Stripe's Payment Element.
  'card-entry-3ds.js': 'text/javascript; charset=utf-8',
  'card-entry-stripe.js': 'text/javascript; charset=utf-8',
};

export async function webPages(app: FastifyInstance, deps: PageDeps): Promise<void> {
  app.decorate('pagesOrm', deps.orm);
  app.decorateRequest('cspNonce', '');

  await app.register(cookie);
  // Forms are small: a card, an address, a name. Nothing here takes more than 16 KiB.
  await app.register(formBody, { bodyLimit: 16 * 1024 });
  await app.register(csrf, {
    cookieKey: '_csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'strict', secure: deps.secureCookies },
    getToken: (request) => (request.body as Record<string, unknown> | undefined)?._csrf as string | undefined,
  });
  await app.register(view, {
    engine: { eta: new Eta({ views: join(__dirname, 'templates'), cache: true, autoEscape: true }) },
    templates: join(__dirname, 'templates'),
    layout: 'layout',
    production: true,
  });

  app.addHook('onRequest', async (request) => {
    request.cspNonce = randomBytes(16).toString('base64');
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('content-security-policy', contentSecurityPolicy(request.cspNonce, deps.cardEntry.contentSecurityPolicy));
    }
    return payload;
  });
  // Every form POST carries the token its page was rendered with; a forged cross-site POST does not.
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method !== 'POST') return done();
    app.csrfProtection(request, reply, done);
  });
  app.setErrorHandler((error: FastifyError, request, reply) => pageError(error, request, reply));

  const assets = Object.fromEntries(Object.keys(ASSETS).map((name) => [name, readFileSync(join(__dirname, 'assets', name))]));
  app.get<{ Params: { name: string } }>('/assets/:name', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const { name } = request.params;
    const body = Object.hasOwn(assets, name) ? assets[name] : undefined;
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!body || !type) return reply.code(404).type('text/plain').send('Not found');
    return reply.header('cache-control', 'public, max-age=3600').type(type).send(body);
  });
  app.get('/brand/logo', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    const brand = await loadBrand(deps.orm.em.fork());
    if (!brand.logo) return reply.code(404).type('text/plain').send('Not found');
    return reply.header('cache-control', 'public, max-age=300').type(brand.logo.contentType).send(brand.logo.data);
  });

  // Page areas: one line each.
  await app.register(portalPages, deps);
  await app.register(hostedInvoicePages, deps);
  await app.register(quotePages, deps);
  await app.register(checkoutPages, deps);
}

/** Errors on a page answer with a page: the status kept, the message one a customer can act on, details only in the log. */
async function pageError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { t } = formatters(resolveLocale(request.headers['accept-language']));
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  if (status >= 500) request.log.error({ err: error }, 'page failed');
  const [title, message] =
    error.code?.startsWith('FST_CSRF') ? [t('common.forbiddenTitle'), t('common.forbiddenMessage')]
    : status === 404 ? [t('common.notFoundTitle'), t('common.notFoundMessage')]
    : status === 429 ? [t('common.tooManyTitle'), t('common.tooManyMessage')]
    : status === 409 || status === 422 ? [t('common.errorTitle'), error.message]
    : status < 500 ? [t('common.badRequestTitle'), t('common.badRequestMessage')]
    : [t('common.errorTitle'), t('common.errorMessage')];
  return renderPage(request, reply, 'message', { title, message }, status);
}
