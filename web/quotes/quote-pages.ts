/**
 * The quote acceptance page behind a signer's emailed link (`/quotes/:token`): the exact version the
 * link was sent for, its PDF, and the signer's two forms, sign (typed full name and consent) and
 * decline (optional reason). Both go through services/quotes/quote-link-actions.ts, as the JSON routes
 * under `/v1/public/quotes/:token` do, so the workflow checks the same rules whichever way a customer
 * signs. The token is the credential: an unknown or altered one is the 404 page, which says nothing
 * about quotes, and a link sent for a version that was since revised shows only that a newer version
 * exists. Pages carry the token in their URL, so they are never cached and send no referrer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RuleViolation } from '../../domain/rule-violation';
import { ApiError } from '../../api/errors';
import { userAgentOf } from '../../api/quotes/callers';
import { quoteUpdateSender } from '../../api/route-deps';
import { PendingChange } from '../../api/workflow-changes';
import { ruleViolationError, workflowCallError } from '../../api/workflow-errors';
import { quoteFileName, renderQuotePdf } from '../../services/documents/quote-pdf';
import { loadBrand } from '../../services/documents/brand';
import { declineThroughLink, signThroughLink } from '../../services/quotes/quote-link-actions';
import { readQuoteLink, type QuoteLinkRead } from '../../services/quotes/quote-link-read';
import { quoteLinkView } from '../../services/quotes/quote-link-view';
import { formatters, resolveLocale, type Formatters } from '../i18n';
import type { PageDeps } from '../page-deps';
import { renderNotFound, renderPage } from '../render';
import { readDeclineForm, readSignForm, type FieldErrors } from './quote-forms';
import { failureNotice, quoteNotices, type Notice } from './quote-notices';

type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

/** A token as links carry it (base64url); anything else is not looked up at all. */
const TOKEN = /^[A-Za-z0-9_-]{16,200}$/;

/** What a re-shown page carries besides the quote: a form's errors and entries, or the outcome of an action. */
interface PageExtras {
  signErrors?: FieldErrors;
  signValues?: { name: string; consent: boolean };
  declineErrors?: FieldErrors;
  declineValues?: { reason: string };
  notices?: Notice[];
}

export async function quotePages(app: FastifyInstance, deps: PageDeps): Promise<void> {
  const config = { public: true } as const;
  const schema = { hide: true } as const;
  const send = quoteUpdateSender(deps.updateWorkflow);
  const format = (request: FastifyRequest): Formatters => formatters(resolveLocale(request.headers['accept-language']));

  /** The link behind the request's token with its page's records, or null (the caller answers with the 404 page). */
  async function linkOf(request: TokenRequest): Promise<QuoteLinkRead | null> {
    const { token } = request.params;
    return TOKEN.test(token) ? readQuoteLink(deps.orm, token) : null;
  }

  async function show(request: TokenRequest, reply: FastifyReply, found: QuoteLinkRead, extras: PageExtras = {}, status = 200): Promise<FastifyReply> {
    const f = format(request);
    reply.header('cache-control', 'no-store');
    const view = quoteLinkView(found, new Date());
    if (view.superseded) {
      return renderPage(request, reply, 'quotes/superseded', { title: f.t('quote.supersededTitle'), version: view.version }, status);
    }
    const page = `/quotes/${request.params.token}`;
    return renderPage(
      request,
      reply,
      'quotes/quote',
      {
        title: view.content.title,
        view,
        page,
        notices: [...(extras.notices ?? []), ...quoteNotices(view, f)],
        canDecline: view.state === 'can_sign' || (view.state === 'waiting_for_others' && view.linkSigner.signedAt === null),
        signErrors: extras.signErrors ?? {},
        signValues: extras.signValues ?? { name: '', consent: false },
        declineErrors: extras.declineErrors ?? {},
        declineValues: extras.declineValues ?? { reason: '' },
      },
      status,
    );
  }

  /**
   * Runs the signer's action; on success the page is shown again from a GET (303), so a reload does
   * not send the form twice. A refusal re-shows the page with what it means for the signer; a change
   * whose outcome is not known yet says so (reloading the page will show it).
   */
  async function act(request: TokenRequest, reply: FastifyReply, found: QuoteLinkRead, action: () => Promise<unknown>): Promise<FastifyReply> {
    try {
      await action();
    } catch (err) {
      const failure = workflowCallError(err, 'Cannot change the quote');
      if (failure instanceof PendingChange) return show(request, reply, found, { notices: [{ tone: 'info', key: 'quote.pending' }] }, 202);
      const answer = failure instanceof RuleViolation ? ruleViolationError(failure) : failure;
      if (!(answer instanceof ApiError) || answer.statusCode >= 500) throw answer;
      const reloaded = (await readQuoteLink(deps.orm, request.params.token)) ?? found;
      return show(request, reply, reloaded, { notices: [failureNotice(answer.code)] }, answer.statusCode);
    }
    return reply.code(303).header('location', `/quotes/${request.params.token}`).send();
  }

  app.get<{ Params: { token: string } }>('/quotes/:token', { config, schema }, async (request, reply) => {
    const found = await linkOf(request);
    return found ? show(request, reply, found) : renderNotFound(request, reply);
  });

  app.get<{ Params: { token: string } }>('/quotes/:token/pdf', { config, schema }, async (request, reply) => {
    const found = await linkOf(request);
    const view = found ? quoteLinkView(found, new Date()) : null;
    // A superseded version's link shows nothing of the quote, its PDF included.
    if (!view || view.superseded) return renderNotFound(request, reply);
    const pdf = await renderQuotePdf(view, await loadBrand(deps.orm.em.fork()));
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="${quoteFileName(view)}"`)
      .type('application/pdf')
      .send(pdf);
  });

  app.post<{ Params: { token: string } }>('/quotes/:token/sign', { config, schema }, async (request, reply) => {
    const found = await linkOf(request);
    if (!found) return renderNotFound(request, reply);
    const view = quoteLinkView(found, new Date());
    if (view.superseded) return show(request, reply, found, {}, 409);
    const form = readSignForm(request.body, view.linkSigner.name, format(request).t);
    if (!form.ok) {
      const { form: formError, ...fieldErrors } = form.errors;
      const notices: Notice[] = [{ tone: 'error', key: formError ? 'quote.reload' : 'common.fixErrors' }];
      return show(request, reply, found, { signErrors: fieldErrors, signValues: form.values, notices }, 400);
    }
    const caller = { ip: request.ip, userAgent: userAgentOf(request) };
    return act(request, reply, found, () => signThroughLink(send, found, caller, form.contentHash));
  });

  app.post<{ Params: { token: string } }>('/quotes/:token/decline', { config, schema }, async (request, reply) => {
    const found = await linkOf(request);
    if (!found) return renderNotFound(request, reply);
    // A link whose version was revised shows nothing and does nothing: the newer email's link declines.
    if (quoteLinkView(found, new Date()).superseded) return show(request, reply, found, {}, 409);
    const form = readDeclineForm(request.body, format(request).t);
    if (!form.ok) {
      return show(request, reply, found, { declineErrors: form.errors, declineValues: form.values, notices: [{ tone: 'error', key: 'common.fixErrors' }] }, 400);
    }
    return act(request, reply, found, () => declineThroughLink(send, found, form.reason));
  });
}
