import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiKey } from '../../db/entities';
import { ErrorSchema, conflict, notFound } from '../errors';
import { IdParams, ListQuery, listOf, paginate } from '../schemas';
import { issueApiKey } from '../../services/access/api-keys';
import { Role, ApiKeyResource, CreatedApiKey } from './schemas';
import { apiKeyResource } from './serialization';
import { ADMIN_ONLY } from '../roles';
import type { RouteDeps } from '../route-deps';

export const apiKeysRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm }) => {
  const admin = { roles: ADMIN_ONLY };

  app.post(
    '/api-keys',
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
    '/api-keys',
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
    '/api-keys/:id/revoke',
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
