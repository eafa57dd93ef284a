import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Product } from '../../db/entities';
import { newId } from '../../db/ids';
import { ErrorSchema, notFound } from '../errors';
import { IdParams, ListQuery, definedOnly, listOf, paginate } from '../schemas';
import { ProductResource, CreateProduct } from './schemas';
import { productResource } from './serialization';
import { ADMIN_ONLY, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

export const productsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm }) => {
  app.post(
    '/products',
    {
      config: { roles: ADMIN_ONLY },
      schema: { tags: ['catalog'], summary: 'Create a product', body: CreateProduct, response: { 200: ProductResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const em = orm.em.fork();
      const now = new Date();
      const product = em.create(Product, {
        id: newId('product'),
        name: request.body.name,
        description: request.body.description ?? null,
        active: request.body.active ?? true,
        metadata: request.body.metadata ?? {},
        createdAt: now,
        updatedAt: now,
      });
      await em.flush();
      return productResource(product);
    },
  );

  app.get(
    '/products',
    {
      config: { roles: STAFF },
      schema: {
        tags: ['catalog'],
        summary: 'List products, newest first',
        querystring: Type.Object({ ...ListQuery, active: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: listOf(ProductResource, 'Product'), '4xx': ErrorSchema },
      },
    },
    async (request) => paginate(orm.em.fork(), Product, definedOnly({ active: request.query.active }), request.query, productResource),
  );

  app.get(
    '/products/:id',
    {
      config: { roles: STAFF },
      schema: { tags: ['catalog'], summary: 'Retrieve a product', params: IdParams, response: { 200: ProductResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const product = await orm.em.fork().findOne(Product, { id: request.params.id });
      if (!product) throw notFound('product', request.params.id);
      return productResource(product);
    },
  );
};
