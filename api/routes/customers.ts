import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FastifyBaseLogger } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Customer, Invoice } from '../../db/entities';
import { invoiceCollectionWorkflowId, paymentMethodUpdatedSignal } from '../../workflows/invoice-collection/contract';
import { newId } from '../../db/ids';
import { isSupportedCurrency } from '../../domain/money';
import { isValidTimeZone } from '../../domain/calendar';
import { ErrorSchema, invalidParam, notFound } from '../errors';
import { InstalmentBalance, customerInstalmentBalances } from '../instalment-plans/balances-routes';
import { NO_REVENUE, customerRevenue, oneCustomerRevenue, type CustomerRevenue } from '../../services/customers/customer-revenue';
import { CurrencyCode, IdParams, PaymentMethodId, ListQuery, Metadata, Nullable, Timestamp, definedOnly, iso, listOf, paginate } from '../schemas';

const Address = Type.Object(
  {
    line1: Type.Optional(Type.String({ maxLength: 200 })),
    line2: Type.Optional(Type.String({ maxLength: 200 })),
    city: Type.Optional(Type.String({ maxLength: 100 })),
    state: Type.Optional(Type.String({ maxLength: 100 })),
    postal_code: Type.Optional(Type.String({ maxLength: 20 })),
    country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' })),
  },
  { additionalProperties: false },
);

/** How a customer resource shows its revenue (services/customers/customer-revenue.ts computes it). */
const CustomerRevenueFields = {
  next_renewal_date: Nullable(
    Type.String({
      format: 'date-time',
      description: 'Earliest next billing date over the customer’s active, past_due and unpaid subscriptions; null when none has one',
    }),
  ),
  mrr: Type.Integer({
    description:
      'Monthly recurring revenue in integer minor units of the customer’s currency: unit_amount × quantity of every item of each active or ' +
      'past_due subscription, per month (a month is a twelfth of a year of 52 weeks or 365 days), summed exactly and rounded ' +
      'half-up once. Before discounts, fees and taxes.',
  }),
};

export const CustomerResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('customer'),
    email: Type.String(),
    name: Type.String(),
    currency: Type.String(),
    time_zone: Type.String(),
    billing_address: Nullable(Address),
    default_payment_method: Nullable(Type.String()),
    account_owner_email: Nullable(Type.String({ description: 'Copied on final payment failure notices' })),
    metadata: Metadata,
    ...CustomerRevenueFields,
    created_at: Timestamp,
  },
  { $id: 'Customer' },
);

/** The retrieved customer: the resource plus its instalment plan balances (one entry per currency). */
const CustomerDetailResource = Type.Object(
  {
    ...CustomerResource.properties,
    instalment_balances: Type.Array(InstalmentBalance, { description: 'Totals over the customer’s instalment plans, per currency' }),
  },
  { $id: 'CustomerDetail' },
);

const CreateCustomer = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    currency: CurrencyCode,
    time_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone; default UTC', examples: ['Europe/Paris'] })),
    billing_address: Type.Optional(Address),
    default_payment_method: Type.Optional(PaymentMethodId),
    account_owner_email: Type.Optional(
      Type.String({ format: 'email', maxLength: 254, description: 'Who on your side looks after the account; told when collection fails for good' }),
    ),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const PaymentMethodBody = Type.Object(
  {
    payment_method: PaymentMethodId,
  },
  { additionalProperties: false },
);

/** `revenue` comes from the customer's subscriptions (services/customers/customer-revenue.ts), read for a whole page at once in lists. */
export function customerResource(c: Customer, revenue: CustomerRevenue) {
  const a = c.billingAddress;
  return {
    id: c.id,
    object: 'customer' as const,
    email: c.email,
    name: c.name,
    currency: c.currency.toLowerCase(),
    time_zone: c.timeZone,
    billing_address: a
      ? definedOnly({ line1: a.line1, line2: a.line2, city: a.city, state: a.state, postal_code: a.postalCode, country: a.country })
      : null,
    default_payment_method: c.defaultPaymentMethod,
    account_owner_email: c.accountOwnerEmail,
    metadata: c.metadata,
    next_renewal_date: revenue.next_renewal_date,
    mrr: revenue.mrr,
    created_at: iso(c.createdAt)!,
  };
}

/**
 * Saves a customer's new default payment method and retries at once its open invoices that failed to
 * charge. Behind `POST /v1/customers/:id/payment-method` and the customer portal's `POST /v1/portal/payment-method`.
 */
export async function savePaymentMethod(
  { orm, temporal }: { orm: MikroORM; temporal: Client },
  customerId: string,
  paymentMethod: string,
  log: FastifyBaseLogger,
) {
  const em = orm.em.fork();
  const customer = await em.findOne(Customer, { id: customerId });
  if (!customer) throw notFound('customer', customerId);
  customer.defaultPaymentMethod = paymentMethod;
  customer.updatedAt = new Date();
  await em.flush();

  // Failed charges still owed: each one's collection retries now. A signal to a collection that
  // finished meanwhile has nothing to retry, so "not found" is fine; other errors leave the
  // scheduled retries in place and are logged, the saved method stands.
  const failing = await em.find(Invoice, {
    customerId: customer.id,
    status: 'open',
    collectionMethod: 'charge_automatically',
    $or: [{ pastDueAt: { $ne: null } }, { nextPaymentAttempt: { $ne: null } }],
  });
  await Promise.all(
    failing.map(async (invoice) => {
      try {
        await temporal.workflow.getHandle(invoiceCollectionWorkflowId(invoice.id)).signal(paymentMethodUpdatedSignal);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) log.warn({ err, invoiceId: invoice.id }, 'could not ask for a retry with the new payment method');
      }
    }),
  );
  return customerResource(customer, await oneCustomerRevenue(em, customer.id));
}

export const customersRoutes: FastifyPluginAsyncTypebox<{ orm: MikroORM; temporal: Client }> = async (app, { orm, temporal }) => {
  app.post(
    '/v1/customers',
    {
      config: { roles: ['admin', 'sales'] },
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
    '/v1/customers',
    {
      config: { roles: ['admin', 'operator', 'sales'] },
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
    '/v1/customers/:id',
    {
      config: { roles: ['admin', 'operator', 'sales'] },
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
    '/v1/customers/:id/payment-method',
    {
      config: { roles: ['admin', 'operator', 'sales'] },
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
