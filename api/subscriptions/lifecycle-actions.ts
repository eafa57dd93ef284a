import { type Static } from 'typebox';
import type { FastifyBaseLogger } from 'fastify';
import { Subscription } from '../../db/entities';
import { pauseUpdate, resumeUpdate } from '../../workflows/subscription/contract';
import { MAX_PAUSE_HORIZON_DAYS } from '../../workflows/subscription/lifecycle';
import { conflict, invalidParam, notFound, unprocessable } from '../errors';
import { Customer } from '../../db/entities';
import { workflowCallError } from '../workflow-errors';
import { subscriptionResource } from './serialization';
import { PauseBody, CollectionMethodBody } from './lifecycle-schemas';
import type { RouteDeps } from '../route-deps';


/**
 * The lifecycle actions behind the staff routes (./lifecycle-routes.ts), shared with the customer portal (api/portal/routes.ts),
 * which checks first that the subscription is the session's customer's.
 */
export function subscriptionLifecycleActions({ orm, updateWorkflow }: RouteDeps) {
  async function load(id: string): Promise<Subscription> {
    const subscription = await orm.em.fork().findOne(Subscription, { id });
    if (!subscription) throw notFound('subscription', id);
    return subscription;
  }

  /**
   * Lifecycle changes go to the workflow, which owns the state; the answer is read back from the database.
   * `send` sends the update through `updateWorkflow`, which waits no longer than the answer deadline.
   */
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
    return sendLifecycleUpdate(id, (wf) => updateWorkflow(wf, pauseUpdate, [...args]), 'pause');
  }

  const resume = (id: string) => sendLifecycleUpdate(id, (wf) => updateWorkflow(wf, resumeUpdate), 'resume');

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

  return { sendLifecycleUpdate, pause, resume, switchCollectionMethod };
}
