import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Email } from '../../db/entities';
import { EMAIL_KINDS } from '../../db/email-kinds';
import { ErrorSchema, notFound } from '../errors';
import { IdParams, ListQuery, Nullable, Timestamp, definedOnly, iso, listOf, paginate } from '../schemas';

const KIND_DESCRIPTION = `What the email is: ${EMAIL_KINDS.join(', ')}`;

export const EmailResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('email'),
    key: Type.String({ description: 'Unique per kind, record and period/attempt' }),
    kind: Type.String({ description: KIND_DESCRIPTION }),
    customer: Nullable(Type.String()),
    related_id: Nullable(Type.String()),
    to: Type.String(),
    subject: Type.String(),
    text: Type.String(),
    html: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('sent')]),
    provider: Nullable(Type.String({ description: 'outbox (kept here only) or resend' })),
    provider_message_id: Nullable(Type.String()),
    attempts: Type.Integer(),
    last_error: Nullable(Type.String()),
    created_at: Timestamp,
    sent_at: Nullable(Timestamp),
  },
  { $id: 'Email' },
);

export const emailResource = (e: Email) => ({
  id: e.id,
  object: 'email' as const,
  key: e.key,
  kind: e.kind,
  customer: e.customerId,
  related_id: e.relatedId,
  to: e.to,
  subject: e.subject,
  text: e.text,
  html: e.html,
  status: e.status,
  provider: e.provider,
  provider_message_id: e.providerMessageId,
  attempts: e.attempts,
  last_error: e.lastError,
  created_at: iso(e.createdAt)!,
  sent_at: iso(e.sentAt),
});

/** The email outbox, readable so a sandbox setup (no Resend key) can see exactly what customers would get. */
export const emailsRoutes: FastifyPluginAsyncTypebox<{ orm: MikroORM }> = async (app, { orm }) => {
  const read = { roles: ['admin', 'operator'] as const };

  app.get(
    '/v1/emails',
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
    '/v1/emails/:id',
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
