/**
 * Customers' requests to cancel a subscription. A request is recorded, then applied as configured:
 * with CANCELLATION_REQUESTS=approval (default) it waits in the operators' queue until approved (the
 * subscription is then canceled as requested) or rejected; with `immediate` it is applied as it is made.
 * Either way the cancel itself goes to the subscription workflow, which may refuse it (409).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type FilterQuery } from '@mikro-orm/core';
import { CancellationRequest } from '../../db/entities';
import { ErrorSchema, conflict } from '../errors';
import { IdParams, ListQuery, definedOnly, listOf, paginate } from '../schemas';
import { RequestStatus, CancellationRequestResource, CreateCancellationRequest, DecisionBody } from './schemas';
import { cancellationRequestResource } from './serialization';
import { cancellationRequestActions, type CancellationRequestDeps } from './actions';
import { ADMIN_AND_OPERATOR, STAFF } from '../roles';
import { PendingChangeResource } from '../workflow-changes';

export const cancellationRequestsRoutes: FastifyPluginAsyncTypebox<CancellationRequestDeps> = async (app, options) => {
  const { orm } = options;
  const { load, cancelSubscription, decideOnce, requestCancellation } = cancellationRequestActions(options);
  const read = { roles: STAFF };
  const decide = { roles: ADMIN_AND_OPERATOR };

  app.post(
    '/subscriptions/:id/cancellation-requests',
    {
      config: { roles: STAFF },
      schema: {
        tags: ['subscriptions'],
        summary: "Record a customer's request to cancel",
        description:
          'With CANCELLATION_REQUESTS=approval (default) the request waits for an operator (status pending); with immediate the ' +
          'subscription is canceled as requested at once and the request is approved. 409 when the subscription is canceled or ' +
          'already has a pending request.',
        params: IdParams,
        body: CreateCancellationRequest,
        response: { 200: CancellationRequestResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => requestCancellation(request.params.id, request.body),
  );

  app.get(
    '/cancellation-requests',
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
    '/cancellation-requests/:id',
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
    '/cancellation-requests/:id/approve',
    {
      config: decide,
      schema: {
        tags: ['subscriptions'],
        summary: 'Approve: cancel the subscription as the customer asked',
        description: '409 when the request is already decided, or the subscription refuses the cancel (e.g. already canceled).',
        params: IdParams,
        body: DecisionBody,
        response: { 200: CancellationRequestResource, 202: PendingChangeResource, '4xx': ErrorSchema },
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
    '/cancellation-requests/:id/reject',
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
