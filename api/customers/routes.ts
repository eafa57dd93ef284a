import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { isSupportedCurrency } from '../../domain/money';
import { isValidTimeZone } from '../../domain/calendar';
import { ErrorSchema, invalidParam, notFound } from '../errors';
import { customerInstalmentBalances } from '../instalment-plans/balances';
import { NO_REVENUE, customerRevenue, oneCustomerRevenue } from '../../services/customers/customer-revenue';
import { IdParams, ListQuery, definedOnly, listOf, paginate } from '../schemas';
import { CustomerResource, CustomerDetailResource, CreateCustomer, PaymentMethodBody } from './schemas';
import { customerResource } from './serialization';
import { savePaymentMethod } from './payment-method';
import { ADMIN_AND_SALES, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

export const customersRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm, temporal }) => {
  app.post(
    '/customers',
    {
      config: { roles: ADMIN_AND_SALES },
      schema: { tags: ['customers'], summary: 'Create a customer', body: CreateCustomer, response: { 200: CustomerResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const body = request.body;
      if (!isSupportedCurrency(body.currency.toUpperCase())) throw invalidParam('currency', `Unsupported currency: ${body.currency}.`);
      const timeZone = body.time_zone ?? 'UTC';
      if (!isValidTimeZone(timeZone)) throw invalidParam('time_zone', `Unknown IANA time zone: ${timeZone}.`);
      const em = orm.em.fork();
      const now = new Date();
      const a = body.billing_address;
      const customer = em.create(Customer, {
        id: newId('customer'),
        email: body.email,
        name: body.name,
        currency: body.currency.toUpperCase(),
        timeZone,
        billingAddress: a ? { line1: a.line1, line2: a.line2, city: a.city, state: a.state, postalCode: a.postal_code, country: a.country } : null,
        defaultPaymentMethod: body.default_payment_method ?? null,
        gatewayCustomerId: null,
        accountOwnerEmail: body.account_owner_email ?? null,
        metadata: body.metadata ?? {},
        createdAt: now,
        updatedAt: now,
      });
      await em.flush();
      // A customer created just now has no subscriptions yet: nothing to renew, no recurring revenue.
      return customerResource(customer, NO_REVENUE);
    },
  );

  app.get(
    '/customers',
    {
      config: { roles: STAFF },
      schema: {
        tags: ['customers'],
        summary: 'List customers, newest first',
        querystring: Type.Object({ ...ListQuery, email: Type.Optional(Type.String({ maxLength: 254 })) }, { additionalProperties: false }),
        response: { 200: listOf(CustomerResource, 'Customer'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const page = await paginate(em, Customer, definedOnly({ email: request.query.email }), request.query, (c) => c);
      // The page's revenue in two queries over all its customers, not one per customer.
      const revenue = await customerRevenue(em, page.data.map((c) => c.id));
      return { ...page, data: page.data.map((c) => customerResource(c, revenue.get(c.id)!)) };
    },
  );

  app.get(
    '/customers/:id',
    {
      config: { roles: STAFF },
      schema: {
        tags: ['customers'],
        summary: 'Retrieve a customer',
        description: 'With what the customer has paid and still owes on instalment plans.',
        params: IdParams,
        response: { 200: CustomerDetailResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const customer = await em.findOne(Customer, { id: request.params.id });
      if (!customer) throw notFound('customer', request.params.id);
      return {
        ...customerResource(customer, await oneCustomerRevenue(em, customer.id)),
        instalment_balances: await customerInstalmentBalances(em, customer.id),
      };
    },
  );

  app.post(
    '/customers/:id/payment-method',
    {
      config: { roles: STAFF },
      schema: {
        tags: ['customers'],
        summary: 'Save a new default payment method',
        description:
          'Invoices of this customer that failed to charge and are still open are retried at once with the new method ' +
          '(their collection workflows get a `paymentMethodUpdated` signal).',
        params: IdParams,
        body: PaymentMethodBody,
        response: { 200: CustomerResource, '4xx': ErrorSchema },
      },
    },
    async (request) => savePaymentMethod({ orm, temporal }, request.params.id, request.body.payment_method, request.log),
  );
};
