/**
 * Lifecycle changes of a subscription: pause, resume and cancel. The workflow owns the state, so each
 * route sends it a validated update and answers with the record the workflow wrote.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { Subscription } from '../../db/entities';
import { cancelUpdate, pauseUpdate, resumeUpdate } from '../../workflows/subscription/contract';
import { ErrorSchema, conflict, notFound } from '../errors';
import { IdParams } from '../schemas';
import { workflowCallError } from '../workflow-errors';
import { SubscriptionResource, subscriptionResource } from './subscriptions';

const CancelBody = Type.Object(
  { at_period_end: Type.Optional(Type.Boolean({ default: false, description: 'Keep the paid period, stop at its end' })) },
  { additionalProperties: false },
);

export interface SubscriptionLifecycleRoutesOptions {
  orm: MikroORM;
  temporal: Client;
  /** How long a request waits for the workflow to answer an update before giving up with a 503. */
  workflowAnswerTimeoutMs: number;
}

export const subscriptionLifecycleRoutes: FastifyPluginAsyncTypebox<SubscriptionLifecycleRoutesOptions> = async (
  app,
  { orm, temporal, workflowAnswerTimeoutMs },
) => {
  /** An update waits for a worker to run it; without a deadline a stopped worker would hang the request. */
  const withinDeadline = <R>(call: () => Promise<R>): Promise<R> => temporal.withDeadline(Date.now() + workflowAnswerTimeoutMs, call);
  const act = { roles: ['admin', 'operator'] as const };

  async function load(id: string): Promise<Subscription> {
    const subscription = await orm.em.fork().findOne(Subscription, { id });
    if (!subscription) throw notFound('subscription', id);
    return subscription;
  }

  /** Lifecycle changes go to the workflow, which owns the state; the answer is read back from the database. */
  async function sendLifecycleUpdate(id: string, send: (workflowId: string) => Promise<unknown>, action: string) {
    const subscription = await load(id);
    if (subscription.status === 'canceled') throw conflict('invalid_state_transition', 'Subscription is canceled.');
    if (subscription.status === 'incomplete') throw conflict('invalid_state_transition', 'Subscription is still being set up; retry shortly.');
    try {
      await withinDeadline(() => send(subscription.workflowId));
    } catch (err) {
      throw workflowCallError(err, `Cannot ${action} subscription ${id}`);
    }
    return subscriptionResource(await load(id));
  }

  app.post(
    '/v1/subscriptions/:id/pause',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'Pause billing now',
        description: 'No period is billed while paused; on resume, billing continues on the anchor calendar.',
        params: IdParams,
        response: { 200: SubscriptionResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      sendLifecycleUpdate(request.params.id, (wf) => temporal.workflow.getHandle(wf).executeUpdate(pauseUpdate), 'pause'),
  );

  app.post(
    '/v1/subscriptions/:id/resume',
    {
      config: act,
      schema: { tags: ['subscriptions'], summary: 'Resume a paused subscription', params: IdParams, response: { 200: SubscriptionResource, '4xx': ErrorSchema } },
    },
    async (request) =>
      sendLifecycleUpdate(request.params.id, (wf) => temporal.workflow.getHandle(wf).executeUpdate(resumeUpdate), 'resume'),
  );

  app.post(
    '/v1/subscriptions/:id/cancel',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'Cancel now or at the end of the current period',
        params: IdParams,
        body: CancelBody,
        response: { 200: SubscriptionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const atPeriodEnd = request.body.at_period_end ?? false;
      return sendLifecycleUpdate(
        request.params.id,
        (wf) => temporal.workflow.getHandle(wf).executeUpdate(cancelUpdate, { args: [{ atPeriodEnd }] }),
        'cancel',
      );
    },
  );
};
