/**
 * The hosted invoice page (`hosted_invoice_url`): `GET /invoices/:id/:token` shows the branded invoice,
 * `GET .../pdf` downloads it, `POST .../pay` pays it by card (and may switch its subscription to autopay).
 * No login: the link is the credential (services/access/invoice-links.ts). A wrong token, an unknown
 * invoice and a draft all answer the same 404 page, checked before anything else, the CSRF check included.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loadBrand } from '../../services/documents/brand';
import { loadInvoiceDocumentData } from '../../services/documents/data';
import { invoiceFileName, renderInvoicePdf } from '../../services/documents/invoice-pdf';
import { hostedInvoicePath } from '../../services/access/invoice-links';
import { formatters, resolveLocale } from '../i18n';
import { renderNotFound, renderPage } from '../render';
import type { PageDeps } from '../page-deps';
import { hostedInvoicePayment, type HostedPaymentOutcome } from './pay-invoice';
import { SUBMISSION_ID, invoiceLocals, loadHostedInvoice, newSubmissionId, type HostedInvoice } from './view';

interface LinkParams {
  id: string;
  token: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The invoice of a hosted invoice link that checked out (set by the routes' link check). */
    hostedInvoice: HostedInvoice | null;
  }
}

/**
 * The token exactly as the request line spelled it. The router percent-decodes parameters; a token is
 * base64url and has no spelling but its own, so an encoded one is refused, not decoded into a match.
 */
function rawToken(request: FastifyRequest): string {
  const path = new URL(request.url, 'http://hosted.invalid').pathname;
  return path.split('/')[3] ?? '';
}

export async function hostedInvoicePages(app: import('fastify').FastifyInstance, deps: PageDeps): Promise<void> {
  const payment = hostedInvoicePayment(deps);
  const options = { config: { public: true }, schema: { hide: true } } as const;
  app.decorateRequest('hostedInvoice', null);

  /** Runs before the body and the CSRF check: a bad link learns nothing else, whatever it sends. */
  const checkLink = async (request: FastifyRequest, reply: FastifyReply) => {
    const { id, token } = request.params as LinkParams;
    const links = deps.invoiceLinks;
    const valid = links !== null && token === rawToken(request) && links.verify(id, token);
    const hosted = valid ? await loadHostedInvoice(deps, request, id) : null;
    if (!hosted) return renderNotFound(request, reply);
    request.hostedInvoice = hosted;
  };
  const linked = { ...options, preValidation: checkLink } as const;
  const pathOf = (params: LinkParams) => hostedInvoicePath(params.id, params.token);

  async function showInvoice(request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const hosted = request.hostedInvoice!;
    const card = hosted.payable ? await deps.cardEntry.prepare({ customerId: hosted.invoice.customerId }) : null;
    return renderPage(
      request,
      reply,
      'hosted-invoice/invoice',
      { ...invoiceLocals(hosted, pathOf(request.params as LinkParams)), card, submission: newSubmissionId(), ...extra },
      status,
    );
  }

  app.get<{ Params: LinkParams }>('/invoices/:id/:token', linked, (request, reply) => showInvoice(request, reply));

  app.get<{ Params: LinkParams }>('/invoices/:id/:token/pdf', linked, async (request, reply) => {
    const { invoice } = request.hostedInvoice!;
    const em = deps.orm.em.fork();
    const data = await loadInvoiceDocumentData(em, invoice.id);
    if (!data) return renderNotFound(request, reply);
    const pdf = await renderInvoicePdf(data, await loadBrand(em));
    // As the portal's PDF route sends it: shown in the browser, never cached by a shared cache.
    return reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `inline; filename="${invoiceFileName(data, invoice.id)}"`)
      .header('cache-control', 'private, no-cache')
      .send(pdf);
  });

  // Any card may be typed here: its own per-IP budget stops a card tester's run of tries.
  const payLimited = { ...linked, config: { ...linked.config, rateLimit: deps.cardAttemptLimit } } as const;
  app.post<{ Params: LinkParams; Body: Record<string, unknown> }>('/invoices/:id/:token/pay', payLimited, async (request, reply) => {
    const hosted = request.hostedInvoice!;
    const { t } = formatters(resolveLocale(request.headers['accept-language']));
    const body = (request.body ?? {}) as Record<string, unknown>;
    // Paid or void already (another tab, a double submit that lost the race): the page as it is now, no form.
    if (!hosted.payable) return showInvoice(request, reply, { notice: hosted.invoice.status === 'paid' ? null : t('invoice.notPayable') });

    const autopayTicked = body.autopay === 'yes' && hosted.autopayConsent !== null;
    // The card is the invoice's customer's: with Stripe, a card set up for anyone else is refused.
    const card = await deps.cardEntry.read(body, t, { customerId: hosted.invoice.customerId });
    if (!card.ok) return showInvoice(request, reply, { errors: card.errors, autopayTicked }, 400);

    // One form, one change: a double submit carries the same submission id, so the collection sees the
    // same update twice and charges once (api/plugins/change-ids.ts derives the update id from this key and the body).
    const submission = typeof body.submission === 'string' && SUBMISSION_ID.test(body.submission) ? body.submission : newSubmissionId();
    request.headers['idempotency-key'] = `hosted_invoice_pay_${submission}`;
    const autopay = autopayTicked
      ? { consentText: hosted.autopayConsent!, clientIp: request.ip, userAgent: request.headers['user-agent'] ?? null }
      : null;
    const outcome = await payment.pay(hosted.invoice, card.paymentMethod, autopay, request.log);
    return showOutcome(request, reply, outcome, autopayTicked);
  });

  async function showOutcome(request: FastifyRequest, reply: FastifyReply, outcome: HostedPaymentOutcome, autopayTicked: boolean) {
    const { t } = formatters(resolveLocale(request.headers['accept-language']));
    // Read again: the page shows the invoice as the payment left it (paid, or open with the decline).
    const hosted = await loadHostedInvoice(deps, request, request.hostedInvoice!.invoice.id);
    if (!hosted) return renderNotFound(request, reply);
    request.hostedInvoice = hosted;
    switch (outcome.outcome) {
      case 'paid':
        return showInvoice(request, reply, { receipt: true, autopayOn: outcome.autopay });
      case 'declined':
        return showInvoice(request, reply, { declined: outcome.message ?? t('invoice.declinedUnknown'), autopayTicked }, 402);
      case 'pending':
        return showInvoice(request, reply, { notice: t('invoice.pendingMessage') }, 202);
      case 'not_payable':
        return showInvoice(request, reply, { notice: t('invoice.notPayable') }, 409);
    }
  }
}
