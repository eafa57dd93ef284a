/**
 * `/v1/onboarding-tasks`: what paid quotes leave behind (one task per quote, for its account owner).
 * Read-only; listed under the quotes tag.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { OnboardingTask } from '../../db/entities';
import { ErrorSchema, notFound } from '../errors';
import { IdParams, ListQuery, Timestamp, cursorFilter, definedOnly, iso, listOf } from '../schemas';
import { STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

const OnboardingTaskResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('onboarding_task'),
    quote: Type.String(),
    customer: Type.String(),
    assignee_email: Type.String(),
    title: Type.String(),
    description: Type.String(),
    status: Type.Enum(['open', 'done']),
    created_at: Timestamp,
  },
  { $id: 'OnboardingTask' },
);

const onboardingTaskResource = (t: OnboardingTask) => ({
  id: t.id,
  object: 'onboarding_task' as const,
  quote: t.quoteId,
  customer: t.customerId,
  assignee_email: t.assigneeEmail,
  title: t.title,
  description: t.description,
  status: t.status,
  created_at: iso(t.createdAt)!,
});

export const onboardingTasksRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm }) => {
  const read = { roles: STAFF };

  app.get(
    '/onboarding-tasks',
    {
      config: read,
      schema: {
        tags: ['quotes'],
        summary: 'List onboarding tasks (one per paid quote), newest first',
        querystring: Type.Object(
          {
            ...ListQuery,
            customer: Type.Optional(Type.String({ maxLength: 64 })),
            quote: Type.Optional(Type.String({ maxLength: 64 })),
            status: Type.Optional(Type.Enum(['open', 'done'])),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(OnboardingTaskResource, 'OnboardingTask'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { customer, quote, status, starting_after } = request.query;
      const limit = request.query.limit ?? 10;
      const where = definedOnly({ customerId: customer, quoteId: quote, status });
      const em = orm.em.fork();
      const rows = await em.find(OnboardingTask, { $and: [where, await cursorFilter(em, OnboardingTask, starting_after)] }, { orderBy: { id: 'desc' }, limit: limit + 1 });
      return { object: 'list' as const, data: rows.slice(0, limit).map(onboardingTaskResource), has_more: rows.length > limit };
    },
  );

  app.get(
    '/onboarding-tasks/:id',
    { config: read, schema: { tags: ['quotes'], summary: 'Retrieve an onboarding task', params: IdParams, response: { 200: OnboardingTaskResource, '4xx': ErrorSchema } } },
    async (request) => {
      const task = await orm.em.fork().findOne(OnboardingTask, { id: request.params.id });
      if (!task) throw notFound('onboarding task', request.params.id);
      return onboardingTaskResource(task);
    },
  );
};
