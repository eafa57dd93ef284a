import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Email } from '../../db/entities';
import { EMAIL_KINDS } from '../../db/email-kinds';
import { ErrorSchema, notFound } from '../errors';
import { IdParams, ListQuery, definedOnly, listOf, paginate } from '../schemas';
import { EmailResource } from './schemas';
import { emailResource } from './serialization';
import { ADMIN_AND_OPERATOR } from '../roles';
import type { RouteDeps } from '../route-deps';

/** The email outbox, readable so a sandbox setup (no Resend key) can see exactly what customers would get. */
export const emailsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm }) => {
  const read = { roles: ADMIN_AND_OPERATOR };

  app.get(
    '/emails',
    {
      config: read,
      schema: {
        tags: ['emails'],
        summary: 'List outbox emails, newest first',
        querystring: Type.Object(
          {
            ...ListQuery,
            customer: Type.Optional(Type.String({ maxLength: 64 })),
            kind: Type.Optional(Type.String({ maxLength: 64, description: `Only emails of this kind: ${EMAIL_KINDS.join(', ')}` })),
            related_id: Type.Optional(Type.String({ maxLength: 64, description: 'Invoice (or other record) the email is about' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(EmailResource, 'Email'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { customer, kind, related_id } = request.query;
      return paginate(orm.em.fork(), Email, definedOnly({ customerId: customer, kind, relatedId: related_id }), request.query, emailResource);
    },
  );

  app.get(
    '/emails/:id',
    {
      config: read,
      schema: { tags: ['emails'], summary: 'Retrieve an outbox email', params: IdParams, response: { 200: EmailResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const email = await orm.em.fork().findOne(Email, { id: request.params.id });
      if (!email) throw notFound('email', request.params.id);
      return emailResource(email);
    },
  );
};
