/**
 * The customer's side of a quote, behind the acceptance link's token (`/v1/public/quotes/<token>`):
 * view the current version, sign it, or decline. No API key: the token is the credential. It is a
 * 256-bit random secret of which only the SHA-256 is stored (quote_links), one per emailed link, and
 * it belongs to one customer signer of one version: the token says who signs and who declines, the
 * body cannot name anyone. It reads and signs only its own quote, and an unknown token is a 404 that
 * says nothing about quotes. A signature records the link, the caller's IP and user agent, and the
 * content hash of the version shown, which the workflow checks against the current one (a superseded
 * version, or a link sent for one, is a 409).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Quote } from '../../db/entities';
import { declineThroughLink, findQuoteLink, signThroughLink, type QuoteLinkRecords } from '../../services/quotes/quote-link-actions';
import { ApiError, ErrorSchema } from '../errors';
import { workflowCallError } from '../workflow-errors';
import { userAgentOf } from './callers';
import { PublicQuoteResource, SignBody } from './schemas';
import { loadQuoteRecords, publicQuoteResource } from './serialization';
import { quoteUpdateSender, type RouteDeps } from '../route-deps';
import { PendingChangeResource } from '../workflow-changes';

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200, description: 'The token of the acceptance link' }) });

/** Who declines is the link's signer: the body gives only the reason. */
const DeclineBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })) }, { additionalProperties: false });

/** The same answer for a token that never existed and one of another shape: nothing to learn from it. */
const unknownLink = () => new ApiError(404, 'invalid_request_error', 'resource_missing', 'No such quote link.');

export const publicQuotesRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm, updateWorkflow }) => {
  // Public: authenticated by the token in the path, never by an API key (see api/plugins/auth.ts).
  const config = { public: true } as const;
  const security: { [name: string]: string[] }[] = [];

  const send = quoteUpdateSender(updateWorkflow);

  async function linkFor(token: string): Promise<QuoteLinkRecords> {
    const found = await findQuoteLink(orm.em.fork(), token);
    if (!found) throw unknownLink();
    return found;
  }

  async function view(quoteId: string) {
    const em = orm.em.fork();
    const quote = await em.findOneOrFail(Quote, { id: quoteId });
    return publicQuoteResource((await loadQuoteRecords(em, [quote]))[0]!);
  }

  /** One action through the link (services/quotes/quote-link-actions.ts), answered with the quote as it now is. */
  async function act(token: string, what: string, action: (found: QuoteLinkRecords) => Promise<unknown>) {
    const found = await linkFor(token);
    try {
      await action(found);
    } catch (err) {
      throw workflowCallError(err, `Cannot ${what} the quote`);
    }
    return view(found.quote.id);
  }

  app.get(
    '/public/quotes/:token',
    {
      config,
      schema: {
        tags: ['public'],
        summary: 'View the quote behind an acceptance link',
        description: 'No API key: the token is the credential. Shows the current version and its content_hash, which a signature names.',
        security,
        params: TokenParams,
        response: { 200: PublicQuoteResource, '4xx': ErrorSchema },
      },
    },
    async (request) => view((await linkFor(request.params.token)).quote.id),
  );

  app.post(
    '/public/quotes/:token/sign',
    {
      config,
      schema: {
        tags: ['public'],
        summary: 'Sign the quote as the signer this link was sent to',
        description:
          'The link identifies the signer; the body names no one. content_hash must be the current version’s (409 version_superseded for an older one), ' +
          'and the link must be the one sent with the current version (409 link_superseded). ' +
          'Signing twice, an expired or closed quote, or out of order (sequential signing) is a 409. Records the link, IP and user agent.',
        security,
        params: TokenParams,
        body: SignBody,
        response: { 200: PublicQuoteResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      act(request.params.token, 'sign', (found) =>
        signThroughLink(send, found, { ip: request.ip, userAgent: userAgentOf(request) }, request.body.content_hash),
      ),
  );

  app.post(
    '/public/quotes/:token/decline',
    {
      config,
      schema: {
        tags: ['public'],
        summary: 'Decline the quote, as the signer this link was sent to',
        security,
        params: TokenParams,
        body: DeclineBody,
        response: { 200: PublicQuoteResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      act(request.params.token, 'decline', (found) => declineThroughLink(send, found, request.body?.reason ?? null)),
  );
};
