/**
 * Every change a request sends to a workflow carries an update id derived from the request, so a retry
 * attaches to the same update (Temporal deduplicates update ids within a run; the workflow remembers
 * recent ones across continue-as-new: workflows/shared/update-ledger.ts) and learns its real outcome
 * instead of applying it twice. The id hashes the caller (API key or portal session), the route, its
 * path parameters and body (the same key with other parameters is another change), the
 * `Idempotency-Key` and which change of the request it is (workflow, update, ordinal). A request without a key gets one from the API, returned in the `Idempotency-Key` response
 * header: retrying with it is retrying the same change.
 *
 * The request is reached through an async context opened for each request (before its handler), so
 * the one path that sends updates (api/workflow-changes.ts) needs no request argument.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * False once the answer is not the request's final outcome (202 pending, 409 lock_timeout): the
     * idempotency plugin then keeps no answer for its key, so a retry with the key sends the change again.
     */
    answerIsFinal: boolean;
  }
}

interface ChangeScope {
  request: FastifyRequest;
  reply: FastifyReply;
  /** The key the API made up for a request that came without one. */
  generatedKey?: string;
  /** Changes this request sent so far, per workflow and update: the second of a kind gets an id of its own. */
  sent: Map<string, number>;
}

const scope = new AsyncLocalStorage<ChangeScope>();

const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** What a change's update id is derived from, for the request being answered. */
export interface ChangeOrigin {
  /** The update id: a hash, so neither the key nor the caller's id travels to Temporal in clear. */
  updateId: string;
  /** The key a retry must send (the caller's own, or the one the API made up and returned). */
  idempotencyKey: string;
}

/**
 * The update id for a change to `workflowId` (update `updateName`) sent while answering the current
 * request; a random one outside a request. The same request retried gets the same ids, in order.
 */
export function changeOrigin(workflowId: string, updateName: string): ChangeOrigin {
  const current = scope.getStore();
  if (!current) {
    const key = randomUUID();
    return { updateId: key, idempotencyKey: key };
  }
  const { request, reply } = current;
  let key = headerValue(request.headers['idempotency-key']);
  if (!key) {
    current.generatedKey ??= `gen_${randomUUID()}`;
    key = current.generatedKey;
    reply.header('idempotency-key', key);
  }
  const caller = request.apiKey?.id ?? headerValue(request.headers.authorization) ?? 'anonymous';
  const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
  const change = `${workflowId}\n${updateName}`;
  const ordinal = (current.sent.get(change) ?? 0) + 1;
  current.sent.set(change, ordinal);
  const updateId = createHash('sha256')
    .update(`${caller}\n${route}\n${JSON.stringify(request.params ?? null)}\n${JSON.stringify(request.body ?? null)}\n${key}\n${change}\n${ordinal}`)
    .digest('hex')
    .slice(0, 32);
  return { updateId, idempotencyKey: key };
}

export default fp(async function changeIds(app: FastifyInstance) {
  app.decorateRequest('answerIsFinal', true);
  // preHandler, not onRequest: the body is read between the two, on the socket's own async context,
  // which would lose a scope opened before it. Registered first, this runs before every other preHandler.
  app.addHook('preHandler', (request, reply, done) => scope.run({ request, reply, sent: new Map() }, done));
});
