import { type Static } from 'typebox';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { CancellationRequest, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { cancelUpdate } from '../../workflows/subscription/contract';
import { conflict, notFound } from '../errors';
import { workflowCallError } from '../workflow-errors';
import { CreateCancellationRequest } from './schemas';
import { cancellationRequestResource } from './serialization';
import type { RouteDeps } from '../route-deps';

/** Customers' cancellation requests wait for an operator (`approval`) or apply at once (`immediate`): CANCELLATION_REQUESTS. */
export type CancellationMode = 'approval' | 'immediate';

export type CancellationRequestDeps = RouteDeps & { mode: CancellationMode };

/**
 * Recording, applying and deciding cancellation requests: behind the staff routes (./routes.ts) and the
 * customer portal's cancel (api/portal/routes.ts), which checks first that the subscription is its customer's.
 */
export function cancellationRequestActions({ orm, updateWorkflow, mode }: CancellationRequestDeps) {
  async function load(id: string): Promise<CancellationRequest> {
    const row = await orm.em.fork().findOne(CancellationRequest, { id });
    if (!row) throw notFound('cancellation_request', id);
    return row;
  }

  /** Sends the cancel to the subscription workflow; its validator's refusal comes back as a 409. */
  async function cancelSubscription(request: CancellationRequest): Promise<void> {
    const subscription = await orm.em.fork().findOneOrFail(Subscription, { id: request.subscriptionId });
    try {
      await updateWorkflow(subscription.workflowId, cancelUpdate, [{ atPeriodEnd: request.atPeriodEnd, reason: 'cancellation_requested' }]);
    } catch (err) {
      throw workflowCallError(err, `Cannot cancel subscription ${subscription.id}`);
    }
  }

  /** pending → approved or rejected, once: a concurrent decision finds the row no longer pending. */
  async function decideOnce(id: string, status: 'approved' | 'rejected', note: string | undefined): Promise<void> {
    const now = new Date();
    const updated = await orm.em
      .fork()
      .nativeUpdate(CancellationRequest, { id, status: 'pending' }, { status, decidedAt: now, decisionNote: note ?? null, updatedAt: now });
    if (updated === 0) throw conflict('cancellation_request_decided', `Cancellation request ${id} is already decided.`);
  }

  /** Records a request on the subscription; under `immediate` it is applied (and approved) at once. */
  async function requestCancellation(subscriptionId: string, body: Static<typeof CreateCancellationRequest>) {
    const em = orm.em.fork();
    const subscription = await em.findOne(Subscription, { id: subscriptionId });
    if (!subscription) throw notFound('subscription', subscriptionId);
    if (subscription.status === 'canceled') throw conflict('invalid_state_transition', 'Subscription is canceled.');
    if (subscription.status === 'incomplete') throw conflict('invalid_state_transition', 'Subscription is still being set up; retry shortly.');
    const now = new Date();
    const row = em.create(CancellationRequest, {
      id: newId('cancellationRequest'),
      subscriptionId: subscription.id,
      customerId: subscription.customerId,
      reason: body.reason ?? null,
      comment: body.comment ?? null,
      atPeriodEnd: body.at_period_end ?? true,
      status: 'pending',
      decidedAt: null,
      decisionNote: null,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await em.flush();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        throw conflict('cancellation_request_pending', `Subscription ${subscription.id} already has a pending cancellation request.`);
      }
      throw err;
    }
    if (mode === 'immediate') {
      try {
        await cancelSubscription(row);
      } catch (err) {
        // Refused or not answered: no request is left behind for a cancel that did not happen.
        await orm.em.fork().nativeDelete(CancellationRequest, { id: row.id, status: 'pending' });
        throw err;
      }
      await decideOnce(row.id, 'approved', 'applied immediately (CANCELLATION_REQUESTS=immediate)');
    }
    return cancellationRequestResource(await load(row.id));
  }

  return { load, cancelSubscription, decideOnce, requestCancellation };
}
