/**
 * The portal's home (what is due), the payment method and the billing details. Each page needs the
 * session cookie (web/portal/session.ts) and shows only the session's customer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Customer, Invoice, type PortalSession } from '../../db/entities';
import { portalOverview } from '../../services/portal/portal-overview';
import { checkBillingDetails, saveBillingDetails, type BillingDetailsErrors, type BillingDetailsInput } from '../../services/customers/billing-details';
import { savePaymentMethod } from '../../api/customers/payment-method';
import { formatters, resolveLocale, type Translate } from '../i18n';
import { renderPage } from '../render';
import type { PageDeps } from '../page-deps';
import type { PortalPageOptions } from './options';
import { portalNav } from './nav';
import { allowedActions, cookieSession, requireSession } from './session';
import { renderSignIn } from './sign-in-pages';
import { cardLabel } from './card-label';

const t = (request: FastifyRequest): Translate => formatters(resolveLocale(request.headers['accept-language'])).t;
const body = (request: FastifyRequest): Record<string, unknown> => (request.body as Record<string, unknown> | undefined) ?? {};
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

const BILLING_FIELDS: (keyof BillingDetailsInput)[] = ['name', 'line1', 'line2', 'city', 'state', 'postalCode', 'country'];

export async function accountPages(app: FastifyInstance, deps: PageDeps & { portal: PortalPageOptions }): Promise<void> {
  const { orm, portal, cardEntry } = deps;
  const page = { public: true } as const;
  const hide = { hide: true };

  app.get('/portal', { config: page, schema: hide }, async (request, reply) => {
    const session = await cookieSession(orm, request);
    // No session: the sign-in form, and the script that takes over an embedded `#token=` session.
    if (!session) return renderSignIn(request, reply, portal, { embed: true });
    const em = orm.em.fork();
    const customer = await em.findOneOrFail(Customer, { id: session.customerId });
    const overview = await portalOverview(em, customer.id);
    const openInvoices = await em.find(Invoice, { customerId: customer.id, status: 'open' }, { orderBy: { dueDate: 'asc', id: 'asc' }, limit: 5 });
    return renderPage(request, reply, 'portal/home', {
      title: t(request)('portal.homeTitle'),
      nav: portalNav(t(request), 'home'),
      customer,
      overview,
      openInvoices,
      allowed: allowedActions(request, session),
    });
  });

  async function renderPaymentMethod(request: FastifyRequest, reply: Parameters<typeof renderPage>[1], session: PortalSession, customer: Customer, errors: Record<string, string> = {}, status = 200) {
    const saved = (request.query as Record<string, unknown>).saved === '1';
    return renderPage(
      request,
      reply,
      'portal/payment-method',
      {
        title: t(request)('portal.paymentMethodTitle'),
        nav: portalNav(t(request), 'paymentMethod'),
        current: cardLabel(customer.defaultPaymentMethod, t(request)),
        card: await cardEntry.prepare({ customerId: session.customerId }),
        errors,
        saved,
        allowed: allowedActions(request, session),
      },
      status,
    );
  }

  app.get('/portal/payment-method', { config: page, schema: hide }, async (request, reply) => {
    const session = await requireSession(orm, request, reply);
    if (!session) return reply;
    const customer = await orm.em.fork().findOneOrFail(Customer, { id: session.customerId });
    return renderPaymentMethod(request, reply, session, customer);
  });

  app.post('/portal/payment-method', { config: { ...page, rateLimit: deps.cardAttemptLimit }, schema: hide }, async (request, reply) => {
    const session = await requireSession(orm, request, reply);
    if (!session) return reply;
    if (!allowedActions(request, session).paymentMethod) return renderPage(request, reply, 'message', { title: t(request)('portal.notAllowedTitle'), message: t(request)('portal.notAllowedMessage') }, 403);
    const read = await cardEntry.read(body(request), t(request), { customerId: session.customerId });
    if (!read.ok) {
      const customer = await orm.em.fork().findOneOrFail(Customer, { id: session.customerId });
      return renderPaymentMethod(request, reply, session, customer, read.errors, 400);
    }
    // As the API's POST /v1/portal/payment-method: failed open invoices are retried with the new card.
    await savePaymentMethod(deps, session.customerId, read.paymentMethod, request.log);
    return reply.redirect('/portal/payment-method?saved=1', 303);
  });

  const renderBillingDetails = async (request: FastifyRequest, reply: Parameters<typeof renderPage>[1], customer: Customer, values: BillingDetailsInput, errors: BillingDetailsErrors = {}, status = 200) => {
    const messages = Object.fromEntries(Object.entries(errors).map(([field, problem]) => [field, t(request)(`portal.field_${problem}`)]));
    return renderPage(
      request,
      reply,
      'portal/billing-details',
      {
        title: t(request)('portal.billingDetailsTitle'),
        nav: portalNav(t(request), 'billingDetails'),
        email: customer.email,
        values,
        errors: messages,
        saved: (request.query as Record<string, unknown>).saved === '1',
      },
      status,
    );
  };

  app.get('/portal/billing-details', { config: page, schema: hide }, async (request, reply) => {
    const session = await requireSession(orm, request, reply);
    if (!session) return reply;
    const customer = await orm.em.fork().findOneOrFail(Customer, { id: session.customerId });
    const a = customer.billingAddress ?? {};
    const values: BillingDetailsInput = {
      name: customer.name,
      line1: a.line1 ?? '',
      line2: a.line2 ?? '',
      city: a.city ?? '',
      state: a.state ?? '',
      postalCode: a.postalCode ?? '',
      country: a.country ?? '',
    };
    return renderBillingDetails(request, reply, customer, values);
  });

  app.post('/portal/billing-details', { config: page, schema: hide }, async (request, reply) => {
    const session = await requireSession(orm, request, reply);
    if (!session) return reply;
    const raw = Object.fromEntries(BILLING_FIELDS.map((field) => [field, str(body(request)[field])])) as unknown as BillingDetailsInput;
    const { input, errors } = checkBillingDetails(raw);
    const em = orm.em.fork();
    if (Object.keys(errors).length > 0) {
      const customer = await em.findOneOrFail(Customer, { id: session.customerId });
      return renderBillingDetails(request, reply, customer, input, errors, 400);
    }
    await saveBillingDetails(em, session.customerId, input);
    return reply.redirect('/portal/billing-details?saved=1', 303);
  });
}
