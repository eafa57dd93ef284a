/**
 * Customers' requests to cancel a subscription. A request is recorded, then applied as configured:
 * with CANCELLATION_REQUESTS=approval (default) it waits in the operators' queue until approved (the
 * subscription is then canceled as requested) or rejected; with `immediate` it is applied as it is made.
 * Either way the cancel itself goes to the subscription workflow, which may refuse it (409).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import type { Client } from '@temporalio/client';
import { CancellationRequest, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import { cancelUpdate } from '../../workflows/subscription/contract';
import { ErrorSchema, conflict, notFound } from '../errors';
import { IdParams, ListQuery, Nullable, Timestamp, definedOnly, iso, listOf, paginate } from '../schemas';
import { workflowCallError } from '../workflow-errors';

const RequestStatus = Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')]);

export const CancellationRequestResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('cancellation_request'),
    subscription: Type.String(),
    customer: Type.String(),
    reason: Nullable(Type.String()),
    comment: Nullable(Type.String()),
    at_period_end: Type.Boolean(),
    status: RequestStatus,
    decided_at: Nullable(Timestamp),
    decision_note: Nullable(Type.String()),
    created_at: Timestamp,
  },
  { $id: 'CancellationRequest' },
);

export const CreateCancellationRequest = Type.Object(
  {
    reason: Type.Optional(
      Type.Union(
        ['too_expensive', 'missing_features', 'switched_service', 'unused', 'customer_service', 'too_complex', 'low_quality', 'other'].map((r) =>
          Type.Literal(r),
        ),
        { description: "The customer's reason (Stripe's cancellation feedback values)" },
      ),
    ),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
    at_period_end: Type.Optional(Type.Boolean({ default: true, description: 'Cancel at the end of the paid period (default) or at once' })),
  },
  { additionalProperties: false },
);

const DecisionBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });

export function cancellationRequestResource(r: CancellationRequest) {
  return {
    id: r.id,
    object: 'cancellation_request' as const,
    subscription: r.subscriptionId,
    customer: r.customerId,
    reason: r.reason,
    comment: r.comment,
    at_period_end: r.atPeriodEnd,
    status: r.status,
    decided_at: iso(r.decidedAt),
    decision_note: r.decisionNote,
    created_at: iso(r.createdAt)!,
  };
}

export interface CancellationRequestRoutesOptions {
  orm: MikroORM;
  temporal: Client;
  mode: 'approval' | 'immediate';
  workflowAnswerTimeoutMs: number;
}

/**
 * Recording, applying and deciding cancellation requests: behind the staff routes below and the
 * customer portal's cancel (api/routes/portal.ts), which checks first that the subscription is its customer's.
 */
export function cancellationRequestActions({ orm, temporal, mode, workflowAnswerTimeoutMs }: CancellationRequestRoutesOptions) {
  async function load(id: string): Promise<CancellationRequest> {
    const row = await orm.em.fork().findOne(CancellationRequest, { id });
    if (!row) throw notFound('cancellation_request', id);
    return row;
  }

  /** Sends the cancel to the subscription workflow; its validator's refusal comes back as a 409. */
  async function cancelSubscription(request: CancellationRequest): Promise<void> {
    const subscription = await orm.em.fork().findOneOrFail(Subscription, { id: request.subscriptionId });
    try {
      await temporal.withDeadline(Date.now() + workflowAnswerTimeoutMs, () =>
        temporal.workflow
          .getHandle(subscription.workflowId)
          .executeUpdate(cancelUpdate, { args: [{ atPeriodEnd: request.atPeriodEnd, reason: 'cancellation_requested' }] }),
      );
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

export const cancellationRequestsRoutes: FastifyPluginAsyncTypebox<CancellationRequestRoutesOptions> = async (app, options) => {
  const { orm } = options;
  const { load, cancelSubscription, decideOnce, requestCancellation } = cancellationRequestActions(options);
  const read = { roles: ['admin', 'operator', 'sales'] as const };
  const decide = { roles: ['admin', 'operator'] as const };

  app.post(
    '/v1/subscriptions/:id/cancellation-requests',
    {
      config: { roles: ['admin', 'operator', 'sales'] },
      schema: {
        tags: ['subscriptions'],
        summary: "Record a customer's request to cancel",
        description:
          'With CANCELLATION_REQUESTS=approval (default) the request waits for an operator (status pending); with immediate the ' +
          'subscription is canceled as requested at once and the request is approved. 409 when the subscription is canceled or ' +
          'already has a pending request.',
        params: IdParams,
        body: CreateCancellationRequest,
        response: { 200: CancellationRequestResource, '4xx': ErrorSchema },
      },
    },
    async (request) => requestCancellation(request.params.id, request.body),
  );

  app.get(
    '/v1/cancellation-requests',
    {
      config: read,
      schema: {
        tags: ['subscriptions'],
        summary: 'List cancellation requests, newest first (the operators’ queue: status=pending)',
        querystring: Type.Object(
          {
            ...ListQuery,
            status: Type.Optional(RequestStatus),
            subscription: Type.Optional(Type.String({ maxLength: 64 })),
            customer: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(CancellationRequestResource, 'CancellationRequest'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const where = definedOnly({ status: q.status, subscriptionId: q.subscription, customerId: q.customer }) as FilterQuery<CancellationRequest>;
      return paginate(orm.em.fork(), CancellationRequest, where, q, cancellationRequestResource);
    },
  );

  app.get(
    '/v1/cancellation-requests/:id',
    {
      config: read,
      schema: {
        tags: ['subscriptions'],
        summary: 'Retrieve a cancellation request',
        params: IdParams,
        response: { 200: CancellationRequestResource, '4xx': ErrorSchema },
      },
    },
    async (request) => cancellationRequestResource(await load(request.params.id)),
  );

  app.post(
    '/v1/cancellation-requests/:id/approve',
    {
      config: decide,
      schema: {
        tags: ['subscriptions'],
        summary: 'Approve: cancel the subscription as the customer asked',
        description: '409 when the request is already decided, or the subscription refuses the cancel (e.g. already canceled).',
        params: IdParams,
        body: DecisionBody,
        response: { 200: CancellationRequestResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const row = await load(request.params.id);
      if (row.status !== 'pending') throw conflict('cancellation_request_decided', `Cancellation request ${row.id} is already ${row.status}.`);
      await cancelSubscription(row);
      await decideOnce(row.id, 'approved', request.body.note);
      return cancellationRequestResource(await load(row.id));
    },
  );

  app.post(
    '/v1/cancellation-requests/:id/reject',
    {
      config: decide,
      schema: {
        tags: ['subscriptions'],
        summary: 'Reject: the subscription continues',
        params: IdParams,
        body: DecisionBody,
        response: { 200: CancellationRequestResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      await decideOnce(request.params.id, 'rejected', request.body.note);
      return cancellationRequestResource(await load(request.params.id));
    },
  );
};
