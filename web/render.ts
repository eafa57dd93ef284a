/**
 * One way to answer with a page: the area's template inside `layout.eta`, with what every page shows
 * (the company's brand, strings and formatters for the visitor's locale, the request's CSP nonce and a
 * CSRF token for its forms). Page handlers call `renderPage` and nothing else to produce HTML.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { loadBrand } from '../services/documents/brand';
import { formatters, resolveLocale } from './i18n';

export interface PageBrand {
  name: string;
  /** `#RRGGBB` of the company profile, and black or white text that reads on it. */
  color: string;
  onColor: string;
  logoUrl: string | null;
  footer: string | null;
  supportEmail: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's Content-Security-Policy nonce (web/pages.ts): every `<script>` a page sends carries it. */
    cspNonce: string;
  }
  interface FastifyInstance {
    /** The ORM pages read the brand with; decorated on the pages' own scope only. */
    pagesOrm?: MikroORM;
  }
}

async function pageBrand(orm: MikroORM): Promise<PageBrand> {
  const brand = await loadBrand(orm.em.fork());
  return {
    name: brand.name,
    color: brand.color,
    onColor: brand.onColor,
    logoUrl: brand.logo ? '/brand/logo' : null,
    footer: brand.footer,
    supportEmail: brand.email,
  };
}

/**
 * Renders `web/templates/<template>.eta` in the layout. `locals.title` is the page's `<title>` (and
 * should match its `<h1>`); everything else is the template's own data, under `it`.
 */
export async function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  locals: Record<string, unknown> & { title: string },
  status = 200,
): Promise<FastifyReply> {
  const orm = request.server.pagesOrm;
  if (!orm) throw new Error('renderPage called outside the pages scope (web/pages.ts)');
  const format = formatters(resolveLocale(request.headers['accept-language']));
  const html = await reply.viewAsync(template, {
    ...locals,
    ...format,
    brand: await pageBrand(orm),
    nonce: request.cspNonce,
    csrf: reply.generateCsrf(),
  });
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').send(html);
}

/** The page for an unknown record, a wrong link or a link that no longer works: never says which. */
export function renderNotFound(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { t } = formatters(resolveLocale(request.headers['accept-language']));
  return renderPage(request, reply, 'message', { title: t('common.notFoundTitle'), message: t('common.notFoundMessage') }, 404);
}
