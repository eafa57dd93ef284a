import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import { TaxRate } from '../../db/entities';
import { newId } from '../../db/ids';
import { PERCENTAGE_PATTERN, formatPercentage, parsePercentage } from '../../domain/pricing';
import { ErrorSchema, notFound } from '../errors';
import { IdParams, ListQuery, Metadata, Nullable, Timestamp, definedOnly, iso, listOf, paginate } from '../schemas';
import { mergeMetadata } from './coupons';

export const TaxRateResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('tax_rate'),
    display_name: Type.String(),
    description: Nullable(Type.String()),
    percentage: Type.String({ description: 'Percent as a decimal string, up to 4 decimals: "8.875"' }),
    inclusive: Type.Boolean({ description: 'True: prices already contain this tax; false: it is added on top' }),
    active: Type.Boolean({ description: 'Only active rates can be added to a subscription; an inactive one keeps applying where it already is' }),
    jurisdiction: Nullable(Type.String()),
    country: Nullable(Type.String({ description: 'ISO 3166-1 alpha-2' })),
    metadata: Metadata,
    created_at: Timestamp,
  },
  { $id: 'TaxRate' },
);

const Country = Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 alpha-2 country code', examples: ['US'] });

const CreateTaxRate = Type.Object(
  {
    display_name: Type.String({ minLength: 1, maxLength: 100, examples: ['Sales tax'] }),
    percentage: Type.String({ pattern: PERCENTAGE_PATTERN, description: 'Percent, 0 to 100, up to 4 decimals: "20", "8.875"' }),
    inclusive: Type.Boolean(),
    active: Type.Optional(Type.Boolean({ default: true })),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    jurisdiction: Type.Optional(Type.String({ maxLength: 200 })),
    country: Type.Optional(Country),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

const UpdateTaxRate = Type.Object(
  {
    display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    // An empty string removes the field, as at Stripe. Not a null|string union: Ajv's type coercion turns
    // false, 0 and "" into null inside one, so a wrong type would silently clear the field (schemathesis).
    description: Type.Optional(Type.String({ maxLength: 500, description: 'An empty string removes it' })),
    active: Type.Optional(Type.Boolean()),
    jurisdiction: Type.Optional(Type.String({ maxLength: 200, description: 'An empty string removes it' })),
    metadata: Type.Optional(
      Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), {
        maxProperties: 50,
        description: 'Merged into the metadata; an empty string removes that key',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'percentage, inclusive and country are fixed once created (issued invoices were computed with them): sending one is a 400 naming it',
  },
);

export const taxRateResource = (t: TaxRate) => ({
  id: t.id,
  object: 'tax_rate' as const,
  display_name: t.displayName,
  description: t.description,
  percentage: formatPercentage(t.percentagePpm),
  inclusive: t.inclusive,
  active: t.active,
  jurisdiction: t.jurisdiction,
  country: t.country,
  metadata: t.metadata,
  created_at: iso(t.createdAt)!,
});

export const taxRatesRoutes: FastifyPluginAsyncTypebox<{ orm: MikroORM }> = async (app, { orm }) => {
  const read = { roles: ['admin', 'operator', 'sales'] as const };
  const write = { roles: ['admin'] as const };

  app.post(
    '/v1/tax-rates',
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
    '/v1/tax-rates',
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
    '/v1/tax-rates/:id',
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
    '/v1/tax-rates/:id',
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
