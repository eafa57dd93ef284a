import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { TaxRate } from '../../db/entities';
import { newId } from '../../db/ids';
import { parsePercentage } from '../../domain/pricing';
import { ErrorSchema, notFound } from '../errors';
import { IdParams, ListQuery, definedOnly, listOf, paginate } from '../schemas';
import { mergeMetadata } from '../shared/metadata';
import { TaxRateResource, CreateTaxRate, UpdateTaxRate } from './schemas';
import { taxRateResource } from './serialization';
import { ADMIN_ONLY, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

export const taxRatesRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm }) => {
  const read = { roles: STAFF };
  const write = { roles: ADMIN_ONLY };

  app.post(
    '/tax-rates',
    {
      config: write,
      schema: { tags: ['catalog'], summary: 'Create a tax rate', body: CreateTaxRate, response: { 200: TaxRateResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const body = request.body;
      const percentagePpm = parsePercentage(body.percentage, 'percentage');
      const em = orm.em.fork();
      const now = new Date();
      const rate = em.create(TaxRate, {
        id: newId('taxRate'),
        displayName: body.display_name,
        description: body.description ?? null,
        percentagePpm,
        inclusive: body.inclusive,
        active: body.active ?? true,
        jurisdiction: body.jurisdiction ?? null,
        country: body.country === undefined ? null : body.country.toUpperCase(),
        metadata: body.metadata ?? {},
        createdAt: now,
        updatedAt: now,
      });
      await em.flush();
      return taxRateResource(rate);
    },
  );

  app.get(
    '/tax-rates',
    {
      config: read,
      schema: {
        tags: ['catalog'],
        summary: 'List tax rates, newest first',
        querystring: Type.Object(
          { ...ListQuery, active: Type.Optional(Type.Boolean()), inclusive: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 200: listOf(TaxRateResource, 'TaxRate'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { active, inclusive } = request.query;
      return paginate(orm.em.fork(), TaxRate, definedOnly({ active, inclusive }), request.query, taxRateResource);
    },
  );

  app.get(
    '/tax-rates/:id',
    {
      config: read,
      schema: { tags: ['catalog'], summary: 'Retrieve a tax rate', params: IdParams, response: { 200: TaxRateResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const rate = await orm.em.fork().findOne(TaxRate, { id: request.params.id });
      if (!rate) throw notFound('tax_rate', request.params.id);
      return taxRateResource(rate);
    },
  );

  app.post(
    '/tax-rates/:id',
    {
      config: write,
      schema: {
        tags: ['catalog'],
        summary: 'Update a tax rate’s name, description, jurisdiction, metadata or active flag',
        params: IdParams,
        body: UpdateTaxRate,
        response: { 200: TaxRateResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const em = orm.em.fork();
      const rate = await em.findOne(TaxRate, { id: request.params.id });
      if (!rate) throw notFound('tax_rate', request.params.id);
      if (body.display_name !== undefined) rate.displayName = body.display_name;
      if (body.description !== undefined) rate.description = body.description === '' ? null : body.description;
      if (body.active !== undefined) rate.active = body.active;
      if (body.jurisdiction !== undefined) rate.jurisdiction = body.jurisdiction === '' ? null : body.jurisdiction;
      if (body.metadata !== undefined) rate.metadata = mergeMetadata(rate.metadata, body.metadata);
      rate.updatedAt = new Date();
      await em.flush();
      return taxRateResource(rate);
    },
  );
};
