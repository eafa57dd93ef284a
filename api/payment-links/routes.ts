/**
 * `/v1/payment-links`: shareable checkout pages for catalog prices (Stripe's payment links). Sales
 * and admins create and edit them; every staff role reads them. The page itself is web/checkout/.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { PaymentLink } from '../../db/entities';
import { createPaymentLink, updatePaymentLink } from '../../services/payment-links/payment-links';
import { ErrorSchema, notFound } from '../errors';
import { IdParams, ListQuery, definedOnly, listOf, paginate } from '../schemas';
import { mergeMetadata } from '../shared/metadata';
import { ADMIN_AND_SALES, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';
import { CreatePaymentLink, PaymentLinkResource, UpdatePaymentLink } from './schemas';
import { paymentLinkResource } from './serialization';

export type PaymentLinkRoutesOptions = RouteDeps & {
  /** PUBLIC_URL, without a trailing slash: where the checkout pages are served. */
  publicUrl: string;
};

export const paymentLinksRoutes: FastifyPluginAsyncTypebox<PaymentLinkRoutesOptions> = async (app, { orm, publicUrl }) => {
  const read = { roles: STAFF };
  const write = { roles: ADMIN_AND_SALES };

  app.post(
    '/payment-links',
    {
      config: write,
      schema: {
        tags: ['payment-links'],
        summary: 'Create a payment link',
        description:
          '1 to 20 active prices in one currency. Any recurring price makes the link sell subscriptions (one per billing interval; ' +
          'one-time prices are charged at checkout beside them). The `url` is a public checkout page.',
        body: CreatePaymentLink,
        response: { 200: PaymentLinkResource, '4xx': ErrorSchema },
      },
    },
    async (request) => paymentLinkResource(await createPaymentLink(orm.em.fork(), request.body), publicUrl),
  );

  app.get(
    '/payment-links',
    {
      config: read,
      schema: {
        tags: ['payment-links'],
        summary: 'List payment links, newest first',
        querystring: Type.Object({ ...ListQuery, active: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: listOf(PaymentLinkResource, 'PaymentLink'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { active } = request.query;
      return paginate(orm.em.fork(), PaymentLink, definedOnly({ active }), request.query, (link) => paymentLinkResource(link, publicUrl));
    },
  );

  app.get(
    '/payment-links/:id',
    {
      config: read,
      schema: { tags: ['payment-links'], summary: 'Retrieve a payment link', params: IdParams, response: { 200: PaymentLinkResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const link = await orm.em.fork().findOne(PaymentLink, { id: request.params.id });
      if (!link) throw notFound('payment_link', request.params.id);
      return paymentLinkResource(link, publicUrl);
    },
  );

  app.post(
    '/payment-links/:id',
    {
      config: write,
      schema: {
        tags: ['payment-links'],
        summary: 'Update a payment link: active, quantities, what follows payment, metadata',
        description: 'Its prices are fixed: `line_items` names each of them once with new quantities or bounds. Deactivating a link closes its page.',
        params: IdParams,
        body: UpdatePaymentLink,
        response: { 200: PaymentLinkResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const link = await em.findOne(PaymentLink, { id: request.params.id });
      if (!link) throw notFound('payment_link', request.params.id);
      return paymentLinkResource(await updatePaymentLink(em, link, request.body, mergeMetadata), publicUrl);
    },
  );
};
