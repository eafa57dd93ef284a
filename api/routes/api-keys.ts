import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ApiKey } from '../../db/entities';
import { ErrorSchema, conflict, notFound } from '../errors';
import { IdParams, ListQuery, Nullable, Timestamp, iso, listOf, paginate } from '../schemas';
import { API_KEY_ROLES, issueApiKey } from '../../services/access/api-keys';

const Role = Type.Enum([...API_KEY_ROLES], {
  description: 'admin: everything; operator: read everything, pause/resume/cancel; sales: customers and subscriptions',
});

export const ApiKeyResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('api_key'),
    name: Type.String(),
    role: Role,
    key_prefix: Type.String({ description: 'First characters of the secret, to tell keys apart' }),
    created_at: Timestamp,
    revoked_at: Nullable(Timestamp),
  },
  { $id: 'ApiKey' },
);

const CreatedApiKey = Type.Object({
  ...ApiKeyResource.properties,
  secret: Nullable(Type.String({ description: 'Shown only in this response; store it now. null when the answer is an Idempotency-Key replay: a secret is shown once.' })),
});

const apiKeyResource = (k: ApiKey) => ({
  id: k.id,
  object: 'api_key' as const,
  name: k.name,
  role: k.role,
  key_prefix: k.keyPrefix,
  created_at: iso(k.createdAt)!,
  revoked_at: iso(k.revokedAt),
});

export const apiKeysRoutes: FastifyPluginAsyncTypebox<{ orm: MikroORM }> = async (app, { orm }) => {
  const admin = { roles: ['admin'] as const };

  app.post(
    '/v1/api-keys',
    {
      config: { ...admin, secretFields: ['secret'] },
      schema: {
        tags: ['api-keys'],
        summary: 'Issue an API key (the secret is returned once)',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), role: Role }, { additionalProperties: false }),
        response: { 200: CreatedApiKey, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { key, secret } = await issueApiKey(orm.em.fork(), request.body.name, request.body.role);
      return { ...apiKeyResource(key), secret };
    },
  );

  app.get(
    '/v1/api-keys',
    {
      config: admin,
      schema: {
        tags: ['api-keys'],
        summary: 'List API keys (never their secrets)',
        querystring: Type.Object(ListQuery, { additionalProperties: false }),
        response: { 200: listOf(ApiKeyResource, 'ApiKey'), '4xx': ErrorSchema },
      },
    },
    async (request) => paginate(orm.em.fork(), ApiKey, {}, request.query, apiKeyResource),
  );

  app.post(
    '/v1/api-keys/:id/revoke',
    {
      config: admin,
      schema: { tags: ['api-keys'], summary: 'Revoke an API key', params: IdParams, response: { 200: ApiKeyResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const em = orm.em.fork();
      const key = await em.findOne(ApiKey, { id: request.params.id });
      if (!key) throw notFound('api_key', request.params.id);
      if (key.revokedAt) throw conflict('already_revoked', `API key ${key.id} is already revoked.`);
      if (key.id === request.apiKey?.id) throw conflict('cannot_revoke_self', 'An API key cannot revoke itself; use another admin key.');
      key.revokedAt = new Date();
      await em.flush();
      return apiKeyResource(key);
    },
  );
};
