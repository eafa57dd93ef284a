import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Price, Product } from '../../db/entities';
import { newId } from '../../db/ids';
import { MoneyError, money } from '../../domain/money';
import { ErrorSchema, invalidParam, missingReference, notFound } from '../errors';
import { mergeMetadata } from '../shared/metadata';
import { IdParams, ListQuery, definedOnly, listOf, paginate } from '../schemas';
import { PriceResource, CreatePrice, UpdatePrice, DuplicatePrice } from './schemas';
import { priceResource } from './serialization';
import { ADMIN_ONLY, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

export const pricesRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm }) => {
  app.post(
    '/prices',
    {
      config: { roles: ADMIN_ONLY },
      schema: { tags: ['catalog'], summary: 'Create a price (plan) for a product', body: CreatePrice, response: { 200: PriceResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const body = request.body;
      const currency = body.currency.toUpperCase();
      try {
        money(body.unit_amount, currency);
      } catch (err) {
        if (err instanceof MoneyError) throw invalidParam(/currency/i.test(err.message) ? 'currency' : 'unit_amount', err.message);
        throw err;
      }
      const em = orm.em.fork();
      if (!(await em.findOne(Product, { id: body.product }))) throw missingReference('product', 'product', body.product);
      const now = new Date();
      const price = em.create(Price, {
        id: newId('price'),
        productId: body.product,
        nickname: body.nickname ?? null,
        currency,
        unitAmount: body.unit_amount,
        type: body.recurring ? 'recurring' : 'one_time',
        intervalUnit: body.recurring?.interval ?? null,
        intervalCount: body.recurring ? (body.recurring.interval_count ?? 1) : null,
        active: true,
        metadata: body.metadata ?? {},
        createdAt: now,
        updatedAt: now,
      });
      await em.flush();
      return priceResource(price);
    },
  );

  app.get(
    '/prices',
    {
      config: { roles: STAFF },
      schema: {
        tags: ['catalog'],
        summary: 'List prices, newest first',
        querystring: Type.Object(
          {
            ...ListQuery,
            product: Type.Optional(Type.String({ maxLength: 64 })),
            type: Type.Optional(Type.Union([Type.Literal('one_time'), Type.Literal('recurring')])),
            active: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(PriceResource, 'Price'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { product, type, active } = request.query;
      return paginate(orm.em.fork(), Price, definedOnly({ productId: product, type, active }), request.query, priceResource);
    },
  );

  app.get(
    '/prices/:id',
    {
      config: { roles: STAFF },
      schema: { tags: ['catalog'], summary: 'Retrieve a price', params: IdParams, response: { 200: PriceResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const price = await orm.em.fork().findOne(Price, { id: request.params.id });
      if (!price) throw notFound('price', request.params.id);
      return priceResource(price);
    },
  );

  app.post(
    '/prices/:id',
    {
      config: { roles: ADMIN_ONLY },
      schema: {
        tags: ['catalog'],
        summary: 'Update a price’s nickname, active flag or metadata',
        description:
          'Deactivating a price takes it off sale: new subscriptions cannot use it, existing ones keep billing it. ' +
          'The amount, currency, product and interval are fixed; to change the amount, duplicate the price.',
        params: IdParams,
        body: UpdatePrice,
        response: { 200: PriceResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const price = await em.findOne(Price, { id: request.params.id });
      if (!price) throw notFound('price', request.params.id);
      const { nickname, active, metadata } = request.body;
      if (nickname !== undefined) price.nickname = nickname === '' ? null : nickname;
      if (active !== undefined) price.active = active;
      if (metadata !== undefined) price.metadata = mergeMetadata(price.metadata, metadata);
      price.updatedAt = new Date();
      await em.flush();
      return priceResource(price);
    },
  );

  app.post(
    '/prices/:id/duplicate',
    {
      config: { roles: ADMIN_ONLY },
      schema: {
        tags: ['catalog'],
        summary: 'Create a new price (plan) from an existing one',
        description:
          'The new price has the original’s product, currency, type and interval, and is active. nickname, unit_amount and ' +
          'metadata default to the original’s. The original is not changed, and subscriptions keep the unit amount they ' +
          'copied when they started; deactivate the original (`POST /v1/prices/:id`) to stop selling it.',
        params: IdParams,
        body: DuplicatePrice,
        response: { 200: PriceResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const original = await em.findOne(Price, { id: request.params.id });
      if (!original) throw notFound('price', request.params.id);
      const body = request.body;
      const unitAmount = body.unit_amount ?? original.unitAmount;
      try {
        money(unitAmount, original.currency);
      } catch (err) {
        if (err instanceof MoneyError) throw invalidParam('unit_amount', err.message);
        throw err;
      }
      const now = new Date();
      const price = em.create(Price, {
        id: newId('price'),
        productId: original.productId,
        nickname: body.nickname ?? original.nickname,
        currency: original.currency,
        unitAmount,
        type: original.type,
        intervalUnit: original.intervalUnit,
        intervalCount: original.intervalCount,
        active: true,
        metadata: body.metadata ?? { ...original.metadata },
        createdAt: now,
        updatedAt: now,
      });
      await em.flush();
      return priceResource(price);
    },
  );
};
