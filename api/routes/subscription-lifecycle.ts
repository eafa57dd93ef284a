/**
 * Lifecycle changes of a subscription: pause (now or later, with an automatic resume), resume, cancel
 * (now or at period end) and its undo, and the switch between emailed invoices and autopay. The
 * workflow owns the lifecycle state, so each of those routes sends it a validated update and answers
 * with the record the workflow wrote.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { FastifyBaseLogger } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { Subscription } from '../../db/entities';
import { cancelUpdate, pauseUpdate, resumeUpdate, undoCancelUpdate } from '../../workflows/subscription/contract';
import { MAX_PAUSE_HORIZON_DAYS } from '../../workflows/subscription/lifecycle';
import { ErrorSchema, conflict, invalidParam, notFound, unprocessable } from '../errors';
import { Customer } from '../../db/entities';
import { IdParams } from '../schemas';
import { workflowCallError } from '../workflow-errors';
import { sendChange } from '../workflow-changes';
import { SubscriptionResource, subscriptionResource } from './subscriptions';

export const PauseBody = Type.Object(
  {
    pause_at: Type.Optional(Type.String({ format: 'date-time', description: 'Pause later, at this instant (default: now)' })),
    resume_at: Type.Optional(Type.String({ format: 'date-time', description: 'Resume by itself at this instant (default: stays paused until resumed)' })),
  },
  { additionalProperties: false },
);

export const CollectionMethodBody = Type.Object(
  {
    collection_method: Type.Union([Type.Literal('charge_automatically'), Type.Literal('send_invoice')], {
      description: 'From the next invoice on: charge the saved payment method (autopay) or email the invoice with payment terms',
    }),
  },
  { additionalProperties: false },
);

const CancelBody = Type.Object(
  { at_period_end: Type.Optional(Type.Boolean({ default: false, description: 'Keep the paid period, stop at its end' })) },
  { additionalProperties: false },
);

export interface SubscriptionLifecycleRoutesOptions {
  orm: MikroORM;
  temporal: Client;
  /** How long a request waits for the workflow to answer an update (its turn included) before answering 202 pending. */
  workflowAnswerTimeoutMs: number;
}

/**
 * The lifecycle actions behind the staff routes below, shared with the customer portal (api/routes/portal.ts),
 * which checks first that the subscription is the session's customer's.
 */
export function subscriptionLifecycleActions(options: SubscriptionLifecycleRoutesOptions) {
  const { orm } = options;
  /** A lifecycle update, sent the one way changes are (api/workflow-changes.ts): its turn, its id, an honest answer. */
  const update =
    <Ret, Args extends unknown[]>(definition: UpdateDefinition<Ret, Args>, ...args: Args) =>
    (workflowId: string): Promise<Ret> =>
      sendChange(options, workflowId, definition, args);


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
      await send(subscription.workflowId);
    } catch (err) {
      throw workflowCallError(err, `Cannot ${action} subscription ${id}`);
    }
    return subscriptionResource(await load(id));
  }

  function pause(id: string, body: Static<typeof PauseBody>) {
    const { pause_at: pauseAt = null, resume_at: resumeAt = null } = body;
    for (const [param, value] of [['pause_at', pauseAt], ['resume_at', resumeAt]] as const) {
      if (value !== null && Date.parse(value) - Date.now() > MAX_PAUSE_HORIZON_DAYS * 86_400_000) {
        throw invalidParam(param, `${param} must be within ${MAX_PAUSE_HORIZON_DAYS} days (10 years) from now.`);
      }
    }
    // Normalised to UTC ISO so the workflow compares instants, not spellings.
    const args = [{ pauseAt: pauseAt && new Date(pauseAt).toISOString(), resumeAt: resumeAt && new Date(resumeAt).toISOString() }] as const;
    return sendLifecycleUpdate(id, update(pauseUpdate, ...args), 'pause');
  }

  const resume = (id: string) => sendLifecycleUpdate(id, update(resumeUpdate), 'resume');

  async function switchCollectionMethod(id: string, collectionMethod: Static<typeof CollectionMethodBody>['collection_method'], log: FastifyBaseLogger) {
    const em = orm.em.fork();
    const subscription = await load(id);
    if (subscription.status === 'canceled') throw conflict('invalid_state_transition', 'Subscription is canceled.');
    if (collectionMethod === 'charge_automatically') {
      const customer = await em.findOneOrFail(Customer, { id: subscription.customerId });
      if (!customer.defaultPaymentMethod) {
        throw unprocessable(
          'collection_method',
          'no_payment_method',
          `Customer ${customer.id} has no default_payment_method to charge; save one before switching to autopay.`,
        );
      }
    }
    // Configuration, not lifecycle state: the workflow reads it when it issues the next invoice.
    const updated = await em.nativeUpdate(
      Subscription,
      { id: subscription.id, status: { $ne: 'canceled' } },
      { collectionMethod, updatedAt: new Date() },
    );
    if (updated === 0) throw conflict('invalid_state_transition', 'Subscription is canceled.');
    log.info({ subscriptionId: subscription.id, from: subscription.collectionMethod, to: collectionMethod }, 'collection method switched');
    return subscriptionResource(await load(subscription.id));
  }

  return { sendLifecycleUpdate, update, pause, resume, switchCollectionMethod };
}

export const subscriptionLifecycleRoutes: FastifyPluginAsyncTypebox<SubscriptionLifecycleRoutesOptions> = async (app, options) => {
  const { sendLifecycleUpdate, update, pause, resume, switchCollectionMethod } = subscriptionLifecycleActions(options);
  const act = { roles: ['admin', 'operator'] as const };

  app.post(
    '/v1/subscriptions/:id/pause',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'Pause billing now or at a date, optionally resuming by itself',
        description:
          'No period is billed while paused; on resume (by request or at resume_at) billing continues at the next boundary of the ' +
          'anchor calendar. pause_at must be in the future and not before the first paid period; resume_at after the pause starts. ' +
          'A pause scheduled for later is dropped with POST /resume.',
        params: IdParams,
        body: PauseBody,
        response: { 200: SubscriptionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => pause(request.params.id, request.body),
  );

  app.post(
    '/v1/subscriptions/:id/resume',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'Resume a paused subscription, or drop a pause scheduled for later',
        params: IdParams,
        response: { 200: SubscriptionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => resume(request.params.id),
  );

  app.post(
    '/v1/subscriptions/:id/cancel',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'Cancel now or at the end of the current period',
        description: 'During a trial, at_period_end cancels when the trial ends: nothing is billed.',
        params: IdParams,
        body: CancelBody,
        response: { 200: SubscriptionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const atPeriodEnd = request.body.at_period_end ?? false;
      return sendLifecycleUpdate(request.params.id, update(cancelUpdate, { atPeriodEnd }), 'cancel');
    },
  );

  app.post(
    '/v1/subscriptions/:id/undo-cancel',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'Keep a subscription that is set to cancel at period end',
        description: '409 when it is not set to cancel at period end, or already canceled.',
        params: IdParams,
        response: { 200: SubscriptionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => sendLifecycleUpdate(request.params.id, update(undoCancelUpdate), 'keep'),
  );

  app.post(
    '/v1/subscriptions/:id/collection-method',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'Switch between emailed invoices and autopay',
        description:
          'Applies from the next invoice; invoices already issued keep their method. Autopay (charge_automatically) needs the ' +
          "customer's default_payment_method (422 no_payment_method otherwise).",
        params: IdParams,
        body: CollectionMethodBody,
        response: { 200: SubscriptionResource, '4xx': ErrorSchema },
      },
    },
    async (request) => switchCollectionMethod(request.params.id, request.body.collection_method, request.log),
  );
};
