/**
 * The customer's invoices: the list, one invoice with its lines, paying it (the saved card, or a new
 * one entered here and saved as the default) and its PDF. Paying is the API portal's
 * `POST /v1/portal/invoices/:id/pay`: the collection's next charge taken now (api/invoices/collection-actions.ts).
 * Another customer's invoice, a draft or an unknown id is the 404 page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Customer, Invoice, InvoiceLine, type PortalSession } from '../../db/entities';
import { loadBrand } from '../../services/documents/brand';
import { loadInvoiceDocumentData } from '../../services/documents/data';
import { invoiceFileName, renderInvoicePdf } from '../../services/documents/invoice-pdf';
import { invoiceCollectionActions } from '../../api/invoices/collection-actions';
import { savePaymentMethod } from '../../api/customers/payment-method';
import { ApiError } from '../../api/errors';
import { PendingChange } from '../../api/workflow-changes';
import { formatters, resolveLocale, type Translate } from '../i18n';
import { renderNotFound, renderPage } from '../render';
import type { PageDeps } from '../page-deps';
import type { PortalPageOptions } from './options';
import { portalNav } from './nav';
import { allowedActions, requireSession } from './session';
import { cardLabel } from './card-label';

/** How a payment attempt ended, shown on the invoice's page after the redirect. */
const RESULTS = ['paid', 'declined', 'pending', 'already_settled', 'no_card'] as const;
type PayResult = (typeof RESULTS)[number];

const LIST_LIMIT = 100;
const SETTLE_WAIT_MS = 5_000;

const t = (request: FastifyRequest): Translate => formatters(resolveLocale(request.headers['accept-language'])).t;
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

export async function invoicePages(app: FastifyInstance, deps: PageDeps & { portal: PortalPageOptions }): Promise<void> {
  const { orm, cardEntry } = deps;
  const collection = invoiceCollectionActions(deps);
  const page = { public: true } as const;
  const hide = { hide: true };

  /** The session's customer's invoice, drafts excepted, or null. */
  const ownInvoice = (session: PortalSession, id: string) => orm.em.fork().findOne(Invoice, { id, customerId: session.customerId, status: { $ne: 'draft' } });

  app.get('/portal/invoices', { config: page, schema: hide }, async (request, reply) => {
    const session = await requireSession(orm, request, reply);
    if (!session) return reply;
    const invoices = await orm.em.fork().find(Invoice, { customerId: session.customerId, status: { $ne: 'draft' } }, { orderBy: { id: 'desc' }, limit: LIST_LIMIT });
    return renderPage(request, reply, 'portal/invoices', { title: t(request)('portal.invoicesTitle'), nav: portalNav(t(request), 'invoices'), invoices, limit: LIST_LIMIT });
  });

  async function renderInvoice(request: IdRequest, reply: FastifyReply, session: PortalSession, invoice: Invoice, errors: Record<string, string> = {}, status = 200) {
    const em = orm.em.fork();
    const customer = await em.findOneOrFail(Customer, { id: session.customerId });
    const lines = await em.find(InvoiceLine, { invoiceId: invoice.id }, { orderBy: { position: 'asc' } });
    const result = String((request.query as Record<string, unknown>).result ?? '');
    return renderPage(
      request,
      reply,
      'portal/invoice',
      {
        title: t(request)('portal.invoiceTitle', { number: invoice.number ?? '' }),
        nav: portalNav(t(request), 'invoices'),
        invoice,
        lines,
        timeZone: customer.timeZone,
        savedCard: cardLabel(customer.defaultPaymentMethod, t(request)),
        allowed: allowedActions(request, session),
        result: (RESULTS as readonly string[]).includes(result) ? result : null,
        card: await cardEntry.prepare({ customerId: session.customerId }),
        errors,
      },
      status,
    );
  }

  app.get<{ Params: { id: string } }>('/portal/invoices/:id', { config: page, schema: hide }, async (request, reply) => {
    const session = await requireSession(orm, request, reply);
    if (!session) return reply;
    const invoice = await ownInvoice(session, request.params.id);
    if (!invoice) return renderNotFound(request, reply);
    return renderInvoice(request, reply, session, invoice);
  });

  /** Waits briefly for a charge already under way (a new card's retry) to settle the invoice. */
  async function settled(id: string): Promise<boolean> {
    const deadline = Date.now() + SETTLE_WAIT_MS;
    for (;;) {
      const invoice = await orm.em.fork().findOneOrFail(Invoice, { id });
      if (invoice.status !== 'open') return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Charges the saved card now; what happened, for the page. */
  async function payNow(invoiceId: string): Promise<PayResult> {
    const invoice = await orm.em.fork().findOneOrFail(Invoice, { id: invoiceId });
    if (invoice.status !== 'open') return 'already_settled';
    const customer = await orm.em.fork().findOneOrFail(Customer, { id: invoice.customerId });
    if (!customer.defaultPaymentMethod) return 'no_card';
    try {
      await collection.retryNow(invoice.id);
    } catch (err) {
      if (err instanceof PendingChange) return 'pending';
      // Paid meanwhile, or a charge already under way (a new card's retry): see how it ends.
      if (err instanceof ApiError && err.statusCode === 409) return (await settled(invoice.id)) ? statusResult(invoice.id) : 'pending';
      throw err;
    }
    return statusResult(invoice.id);
  }

  const statusResult = async (id: string): Promise<PayResult> => ((await orm.em.fork().findOneOrFail(Invoice, { id })).status === 'paid' ? 'paid' : 'declined');

  /** The checks both pay forms share: the customer's open invoice, and a session allowed to pay. */
  async function payable(request: IdRequest, reply: FastifyReply): Promise<{ session: PortalSession; invoice: Invoice } | null> {
    const session = await requireSession(orm, request, reply);
    if (!session) return null;
    const invoice = await ownInvoice(session, request.params.id);
    if (!invoice) {
      await renderNotFound(request, reply);
      return null;
    }
    if (!allowedActions(request, session).pay) {
      await renderPage(request, reply, 'message', { title: t(request)('portal.notAllowedTitle'), message: t(request)('portal.notAllowedMessage') }, 403);
      return null;
    }
    return { session, invoice };
  }

  const back = (reply: FastifyReply, id: string, result: PayResult) => reply.redirect(`/portal/invoices/${encodeURIComponent(id)}?result=${result}`, 303);

  app.post<{ Params: { id: string } }>('/portal/invoices/:id/pay', { config: page, schema: hide }, async (request, reply) => {
    const found = await payable(request, reply);
    if (!found) return reply;
    return back(reply, found.invoice.id, await payNow(found.invoice.id));
  });

  app.post<{ Params: { id: string } }>('/portal/invoices/:id/pay-with-card', { config: { ...page, rateLimit: deps.cardAttemptLimit }, schema: hide }, async (request, reply) => {
    const found = await payable(request, reply);
    if (!found) return reply;
    const { session, invoice } = found;
    if (invoice.status !== 'open') return back(reply, invoice.id, 'already_settled');
    if (!allowedActions(request, session).paymentMethod) {
      return renderPage(request, reply, 'message', { title: t(request)('portal.notAllowedTitle'), message: t(request)('portal.notAllowedMessage') }, 403);
    }
    const read = await cardEntry.read((request.body as Record<string, unknown> | undefined) ?? {}, t(request), { customerId: session.customerId });
    if (!read.ok) return renderInvoice(request, reply, session, invoice, read.errors, 400);
    // Saved as the default, as the payment method page does; then this invoice is charged with it.
    await savePaymentMethod(deps, session.customerId, read.paymentMethod, request.log);
    return back(reply, invoice.id, await payNow(invoice.id));
  });

  app.get<{ Params: { id: string } }>('/portal/invoices/:id/pdf', { config: page, schema: hide }, async (request, reply) => {
    const session = await requireSession(orm, request, reply);
    if (!session) return reply;
    const invoice = await ownInvoice(session, request.params.id);
    if (!invoice || !allowedActions(request, session).pdf) return renderNotFound(request, reply);
    const em = orm.em.fork();
    const data = await loadInvoiceDocumentData(em, invoice.id);
    if (!data) return renderNotFound(request, reply);
    const pdf = await renderInvoicePdf(data, await loadBrand(em));
    return reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `attachment; filename="${invoiceFileName(data, invoice.id)}"`)
      .header('cache-control', 'private, no-cache')
      .send(pdf);
  });
}
