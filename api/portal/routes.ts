/**
 * The customer portal: what a customer does to its own records ("customers pay, pause or cancel").
 *
 * Staff issue a short-lived portal session for one customer (`POST /v1/customers/:id/portal-sessions`,
 * an ordinary API-key route); the routes under `/v1/portal` take no API key (`config.public`) and
 * authenticate that session's token instead (api/plugins/portal-auth.ts). A session sees and changes only its
 * customer's records: another customer's id is a 404, exactly as an id that does not exist. It may do
 * only what the role of the key that opened it may do through the staff API (api/portal-permissions.ts).
 *
 * Every action reuses the staff routes' own logic (subscriptions/lifecycle-actions.ts, cancellation-requests/actions.ts,
 * customers/payment-method.ts, invoices/collection-actions.ts) after the ownership check, and answers with the staff
 * API's shapes. The staff route that opens a session is ./sessions-routes.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { FilterQuery } from '@mikro-orm/core';
import { Customer, Invoice, PortalSession, Subscription } from '../../db/entities';
import { loadBrand } from '../../services/documents/brand';
import { loadInvoiceDocumentData } from '../../services/documents/data';
import { invoiceFileName, renderInvoicePdf } from '../../services/documents/invoice-pdf';
import { ErrorSchema, notFound, unprocessable } from '../errors';
import { authenticatePortalRequest } from '../plugins/portal-auth';
import { oneCustomerRevenue } from '../../services/customers/customer-revenue';
import { assertPortalActionAllowed, assertPortalRouteHasEquivalent } from '../portal-permissions';
import { IdParams, ListQuery, listOf, paginate } from '../schemas';
import { CustomerResource, PaymentMethodBody } from '../customers/schemas';
import { customerResource } from '../customers/serialization';
import { savePaymentMethod } from '../customers/payment-method';
import { SubscriptionResource } from '../subscriptions/schemas';
import { subscriptionResource } from '../subscriptions/serialization';
import { CollectionMethodBody, PauseBody } from '../subscriptions/lifecycle-schemas';
import { subscriptionLifecycleActions } from '../subscriptions/lifecycle-actions';
import { CancellationRequestResource, CreateCancellationRequest } from '../cancellation-requests/schemas';
import { cancellationRequestActions } from '../cancellation-requests/actions';
import { invoiceCollectionActions } from '../invoices/collection-actions';
import { InvoiceResource, InvoiceSummaryResource } from '../invoices/schemas';
import { invoiceSummary, invoiceWithLines } from '../invoices/serialization';
import { PortalInvoiceStatus } from './schemas';
import type { PortalDeps } from './options';
import { PendingChangeResource } from '../workflow-changes';

declare module 'fastify' {
  interface FastifyRequest {
    /** The customer portal session of a `/v1/portal` request, set by the portal's own authentication. */
    portalSession: PortalSession | null;
  }
}

/** The routes a portal session calls. Registered in their own context, so the session check applies to them alone. */
export const customerPortalRoutes: FastifyPluginAsyncTypebox<PortalDeps> = async (app, options) => {
  const { orm, invoiceLinks } = options;
  const lifecycle = subscriptionLifecycleActions(options);
  const cancellations = cancellationRequestActions({ ...options, mode: options.cancellationRequests });
  const collection = invoiceCollectionActions(options);
  const portal = { public: true } as const;
  const tags = ['portal'];
  const security = [{ portalSession: [] }];

  app.decorateRequest('portalSession', null);
  // Every portal route says which staff route's roles it takes, or the app does not start.
  app.addHook('onRoute', (route) => {
    for (const method of ([] as string[]).concat(route.method)) assertPortalRouteHasEquivalent(method, route.url);
  });
  // onRequest, before the body is read or validated: a caller without a session learns nothing else,
  // and a session is refused what the role that opened it may not do.
  app.addHook('onRequest', async (request) => {
    const session = await authenticatePortalRequest(orm, request);
    request.portalSession = session;
    assertPortalActionAllowed(app, request, session);
  });

  const customerId = (request: FastifyRequest): string => request.portalSession!.customerId;

  /** The session's customer's subscription; any other id (another customer's included) is a 404. */
  async function ownSubscription(request: FastifyRequest, id: string): Promise<Subscription> {
    const subscription = await orm.em.fork().findOne(Subscription, { id, customerId: customerId(request) });
    if (!subscription) throw notFound('subscription', id);
    return subscription;
  }

  /** The session's customer's invoice, drafts excepted; any other id is a 404. */
  async function ownInvoice(request: FastifyRequest, id: string): Promise<Invoice> {
    const invoice = await orm.em.fork().findOne(Invoice, { id, customerId: customerId(request), status: { $ne: 'draft' } });
    if (!invoice) throw notFound('invoice', id);
    return invoice;
  }

  app.get(
    '/portal/customer',
    {
      config: portal,
      schema: { tags, security, summary: "The session's customer", response: { 200: CustomerResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const em = orm.em.fork();
      const customer = await em.findOneOrFail(Customer, { id: customerId(request) });
      return customerResource(customer, await oneCustomerRevenue(em, customer.id));
    },
  );

  app.post(
    '/portal/payment-method',
    {
      config: portal,
      schema: {
        tags,
        security,
        summary: 'Save a new default payment method',
        description: 'As POST /v1/customers/:id/payment-method: open invoices that failed to charge are retried at once with it.',
        body: PaymentMethodBody,
        response: { 200: CustomerResource, '4xx': ErrorSchema },
      },
    },
    async (request) => savePaymentMethod(options, customerId(request), request.body.payment_method, request.log),
  );

  app.get(
    '/portal/subscriptions',
    {
      config: portal,
      schema: {
        tags,
        security,
        summary: "The customer's subscriptions, newest first",
        querystring: Type.Object(ListQuery, { additionalProperties: false }),
        response: { 200: listOf(SubscriptionResource, 'Subscription'), '4xx': ErrorSchema },
      },
    },
    async (request) => paginate(orm.em.fork(), Subscription, { customerId: customerId(request) }, request.query, subscriptionResource),
  );

  app.get(
    '/portal/subscriptions/:id',
    {
      config: portal,
      schema: { tags, security, summary: 'Retrieve one of the customer’s subscriptions', params: IdParams, response: { 200: SubscriptionResource, '4xx': ErrorSchema } },
    },
    async (request) => subscriptionResource(await ownSubscription(request, request.params.id)),
  );

  app.post(
    '/portal/subscriptions/:id/pause',
    {
      config: portal,
      schema: {
        tags,
        security,
        summary: 'Pause billing now or at a date, optionally resuming by itself',
        description: 'As POST /v1/subscriptions/:id/pause, with the same rules.',
        params: IdParams,
        body: PauseBody,
        response: { 200: SubscriptionResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const subscription = await ownSubscription(request, request.params.id);
      return lifecycle.pause(subscription.id, request.body);
    },
  );

  app.post(
    '/portal/subscriptions/:id/resume',
    {
      config: portal,
      schema: {
        tags,
        security,
        summary: 'Resume a paused subscription, or drop a pause scheduled for later',
        params: IdParams,
        response: { 200: SubscriptionResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => lifecycle.resume((await ownSubscription(request, request.params.id)).id),
  );

  app.post(
    '/portal/subscriptions/:id/cancel',
    {
      config: portal,
      schema: {
        tags,
        security,
        summary: 'Ask to cancel',
        description:
          'Records a cancellation request, as POST /v1/subscriptions/:id/cancellation-requests: it waits for an operator ' +
          '(status pending) or, with CANCELLATION_REQUESTS=immediate, is applied at once (status approved). 409 when the ' +
          'subscription is canceled or already has a pending request.',
        params: IdParams,
        body: CreateCancellationRequest,
        response: { 200: CancellationRequestResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => cancellations.requestCancellation((await ownSubscription(request, request.params.id)).id, request.body),
  );

  app.post(
    '/portal/subscriptions/:id/collection-method',
    {
      config: portal,
      schema: {
        tags,
        security,
        summary: 'Switch between emailed invoices and autopay',
        description: 'As POST /v1/subscriptions/:id/collection-method: autopay needs a saved payment method (422 no_payment_method).',
        params: IdParams,
        body: CollectionMethodBody,
        response: { 200: SubscriptionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const subscription = await ownSubscription(request, request.params.id);
      return lifecycle.switchCollectionMethod(subscription.id, request.body.collection_method, request.log);
    },
  );

  app.get(
    '/portal/invoices',
    {
      config: portal,
      schema: {
        tags,
        security,
        summary: "The customer's invoices, newest first (drafts are not shown; lines omitted)",
        querystring: Type.Object({ ...ListQuery, status: Type.Optional(PortalInvoiceStatus) }, { additionalProperties: false }),
        response: { 200: listOf(InvoiceSummaryResource, 'Invoice'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const where: FilterQuery<Invoice> = { customerId: customerId(request), status: request.query.status ?? { $ne: 'draft' } };
      return paginate(orm.em.fork(), Invoice, where, request.query, (invoice) => invoiceSummary(invoice, invoiceLinks));
    },
  );

  app.get(
    '/portal/invoices/:id',
    {
      config: portal,
      schema: { tags, security, summary: 'Retrieve one of the customer’s invoices with its lines', params: IdParams, response: { 200: InvoiceResource, '4xx': ErrorSchema } },
    },
    async (request) => invoiceWithLines(orm.em.fork(), await ownInvoice(request, request.params.id), invoiceLinks),
  );

  app.get(
    '/portal/invoices/:id/pdf',
    {
      config: portal,
      schema: {
        tags,
        security,
        summary: 'Download one of the customer’s invoices as a PDF',
        params: IdParams,
        response: {
          200: {
            description: 'The invoice as a PDF',
            headers: { 'content-disposition': { type: 'string', description: 'inline; filename="<document>.pdf"' } },
            content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
          },
          '4xx': ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const invoice = await ownInvoice(request, request.params.id);
      const em = orm.em.fork();
      const data = await loadInvoiceDocumentData(em, invoice.id);
      if (!data) throw notFound('invoice', invoice.id);
      const pdf = await renderInvoicePdf(data, await loadBrand(em));
      // Binary: the plain reply type (the schema-typed one expects JSON), headers as GET /v1/invoices/:id/pdf sends them.
      return (reply as FastifyReply)
        .header('content-type', 'application/pdf')
        .header('content-disposition', `inline; filename="${invoiceFileName(data, invoice.id)}"`)
        .header('cache-control', 'private, no-cache')
        .send(pdf);
    },
  );

  app.post(
    '/portal/invoices/:id/pay',
    {
      config: portal,
      schema: {
        tags,
        security,
        summary: 'Pay an open invoice now with the saved payment method',
        description:
          "Charges the customer's default payment method now, through the invoice's collection (for autopay, the next retry " +
          'taken early; for an emailed invoice, one charge instead of a transfer) and answers with the invoice once the attempt ' +
          'is done: paid, or still open with the decline recorded. 409 for an invoice that is paid or void, or being charged; ' +
          '422 no_payment_method without a saved payment method.',
        params: IdParams,
        response: { 200: InvoiceResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const invoice = await ownInvoice(request, request.params.id);
      // Paid or void: 409 from the collection's own checks, before the card is looked at.
      await collection.collectableInvoice(invoice.id);
      const customer = await orm.em.fork().findOneOrFail(Customer, { id: invoice.customerId });
      if (!customer.defaultPaymentMethod) {
        throw unprocessable(undefined, 'no_payment_method', 'No payment method is saved; save one with POST /v1/portal/payment-method first.');
      }
      return collection.retryNow(invoice.id);
    },
  );
};
