/**
 * Lifecycle changes of a subscription: pause (now or later, with an automatic resume), resume, cancel
 * (now or at period end) and its undo, and the switch between emailed invoices and autopay. The
 * workflow owns the lifecycle state, so each of those routes sends it a validated update and answers
 * with the record the workflow wrote.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { cancelUpdate, undoCancelUpdate } from '../../workflows/subscription/contract';
import { ErrorSchema } from '../errors';
import { IdParams } from '../schemas';
import { SubscriptionResource } from './schemas';
import { PauseBody, CollectionMethodBody, CancelBody } from './lifecycle-schemas';
import { subscriptionLifecycleActions } from './lifecycle-actions';
import type { RouteDeps } from '../route-deps';
import { ADMIN_AND_OPERATOR } from '../roles';
import { PendingChangeResource } from '../workflow-changes';

export const subscriptionLifecycleRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const { updateWorkflow } = deps;
  const { sendLifecycleUpdate, pause, resume, switchCollectionMethod } = subscriptionLifecycleActions(deps);
  const act = { roles: ADMIN_AND_OPERATOR };

  app.post(
    '/subscriptions/:id/pause',
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
        response: { 200: SubscriptionResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => pause(request.params.id, request.body),
  );

  app.post(
    '/subscriptions/:id/resume',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'Resume a paused subscription, or drop a pause scheduled for later',
        params: IdParams,
        response: { 200: SubscriptionResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => resume(request.params.id),
  );

  app.post(
    '/subscriptions/:id/cancel',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'Cancel now or at the end of the current period',
        description: 'During a trial, at_period_end cancels when the trial ends: nothing is billed.',
        params: IdParams,
        body: CancelBody,
        response: { 200: SubscriptionResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const atPeriodEnd = request.body.at_period_end ?? false;
      return sendLifecycleUpdate(
        request.params.id,
        (wf) => updateWorkflow(wf, cancelUpdate, [{ atPeriodEnd }]),
        'cancel',
      );
    },
  );

  app.post(
    '/subscriptions/:id/undo-cancel',
    {
      config: act,
      schema: {
        tags: ['subscriptions'],
        summary: 'Keep a subscription that is set to cancel at period end',
        description: '409 when it is not set to cancel at period end, or already canceled.',
        params: IdParams,
        response: { 200: SubscriptionResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      sendLifecycleUpdate(request.params.id, (wf) => updateWorkflow(wf, undoCancelUpdate), 'keep'),
  );

  app.post(
    '/subscriptions/:id/collection-method',
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
