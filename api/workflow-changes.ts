/**
 * The one way a request sends a change (a Temporal update) to a workflow and answers only what is
 * true about it:
 * - the workflow's answer, when it comes within the answer deadline (200, or its refusal);
 * - 409 `lock_timeout` with `Retry-After` when the change was certainly not admitted: its turn on a busy
 *   entity did not come in time (api/workflow-leases.ts), or Temporal refused it for too many updates in
 *   flight. Nothing was applied; retrying is safe;
 * - 202 with the change pending when it was sent but its outcome did not come in time (a worker down or
 *   slow, a workflow task retried): it may still apply, so it is never answered as a failure. A retry
 *   with the same Idempotency-Key attaches to the same update (api/plugins/change-ids.ts) and learns
 *   its outcome;
 * - 503 only when Temporal itself does not answer (then the change could not be sent).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { Type } from 'typebox';
import { WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { ApiError, serviceUnavailable } from './errors';
import { changeOrigin } from './plugins/change-ids';
import { leaseWorkflowSlot } from './workflow-leases';

/** Seconds a caller told "pending" or "lock_timeout" should wait before retrying. */
export const CHANGE_RETRY_AFTER_SECONDS = 1;

/** The 202 answer of every route that changes a workflow's entity, as the OpenAPI document shows it. */
export const PendingChangeResource = Type.Object(
  {
    object: Type.Literal('pending_change'),
    status: Type.Literal('pending'),
    update_id: Type.String(),
    idempotency_key: Type.String({ description: 'Send it again as Idempotency-Key to learn the outcome' }),
    message: Type.String(),
  },
  {
    title: 'PendingChange',
    description:
      'The change was sent but its outcome did not come within the answer deadline: it may still apply. Retry the same request with ' +
      'the same Idempotency-Key (the one returned in the Idempotency-Key header when the request had none) after Retry-After seconds ' +
      'to learn its outcome. A change certainly not admitted (its turn on a busy record did not come in time) is a 409 lock_timeout with ' +
      'Retry-After instead: nothing was changed.',
  },
);

/** A change sent whose outcome is not known yet: answered 202 (api/plugins/error-handler.ts). */
export class PendingChange extends Error {
  constructor(
    readonly updateId: string,
    readonly idempotencyKey: string,
    message: string,
  ) {
    super(message);
    this.name = 'PendingChange';
  }

  toBody() {
    return { object: 'pending_change', status: 'pending', update_id: this.updateId, idempotency_key: this.idempotencyKey, message: this.message };
  }
}

/** 409 `lock_timeout`, as Stripe answers concurrent changes to one object: nothing applied, retry later. */
export function lockTimeout(message: string): ApiError {
  const error = new ApiError(409, 'invalid_request_error', 'lock_timeout', message);
  error.retryAfterSeconds = CHANGE_RETRY_AFTER_SECONDS;
  return error;
}

export interface ChangeDeps {
  orm: MikroORM;
  temporal: Client;
  /** How long a request waits for the workflow's answer, its turn included. */
  workflowAnswerTimeoutMs: number;
}

/** The shape of `executeUpdate` once its overloads (with and without arguments) are one. */
interface UpdateCall {
  executeUpdate<Ret, Args extends unknown[]>(update: UpdateDefinition<Ret, Args>, options: { args: Args; updateId: string }): Promise<Ret>;
}

const grpcCode = (err: unknown): unknown => {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return e?.code ?? e?.cause?.code;
};
/** gRPC RESOURCE_EXHAUSTED: the server refused the update (too many in flight); it was not admitted. */
const refusedForLoad = (err: unknown): boolean => grpcCode(err) === 8;
/** gRPC DEADLINE_EXCEEDED or the SDK's own timeout: sent, outcome unknown. */
const timedOut = (err: unknown): boolean => err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || grpcCode(err) === 4;

/**
 * Sends `update` to `workflowId` with the request's update id, waiting first for a change slot of that
 * workflow; answers the workflow's result or throws what is true (see above). Other failures (a
 * refusal, a workflow not running) are thrown as Temporal reports them, for `workflowCallError`.
 */
export async function sendChange<Ret, Args extends unknown[]>(
  { orm, temporal, workflowAnswerTimeoutMs }: ChangeDeps,
  workflowId: string,
  update: UpdateDefinition<Ret, Args>,
  args: Args,
): Promise<Ret> {
  const origin = changeOrigin(workflowId, update.name);
  const started = Date.now();
  const deadline = started + workflowAnswerTimeoutMs;
  // Half the wait at most for the turn, so a change that gets it still has time to be answered.
  const lease = await leaseWorkflowSlot(orm, workflowId, started + workflowAnswerTimeoutMs / 2, deadline);
  if (!lease) {
    throw lockTimeout(`Too many concurrent changes to this ${entityOf(workflowId)}; nothing was changed. Retry after a moment.`);
  }
  try {
    const handle = temporal.workflow.getHandle(workflowId) as unknown as UpdateCall;
    return await temporal.withDeadline(deadline, () => handle.executeUpdate(update, { args, updateId: origin.updateId }));
  } catch (err) {
    if (refusedForLoad(err)) {
      throw lockTimeout(`Too many concurrent changes to this ${entityOf(workflowId)}; nothing was changed. Retry after a moment.`);
    }
    if (timedOut(err)) {
      // Temporal down the whole time looks the same as a worker that did not answer: ask it. If it
      // does not answer either, the change could not be sent; a retry with the same key is safe.
      if (!(await temporalAnswers(temporal))) {
        throw serviceUnavailable('Temporal is unreachable, so the change could not be sent. Retry with the same Idempotency-Key shortly.');
      }
      throw new PendingChange(
        origin.updateId,
        origin.idempotencyKey,
        `The change was sent but its outcome did not come within ${Math.round(workflowAnswerTimeoutMs / 1000)} s; it may still apply. ` +
          'Retry with the same Idempotency-Key to learn its outcome.',
      );
    }
    throw err;
  } finally {
    await lease.release();
  }
}

/** How long the API asks Temporal whether it is there at all, after a change timed out. */
const REACHABILITY_PROBE_MS = 1_000;

async function temporalAnswers(temporal: Client): Promise<boolean> {
  try {
    await temporal.withDeadline(Date.now() + REACHABILITY_PROBE_MS, () => temporal.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}

/** `subscription-sub_123` → `subscription`: names the entity in a message without its internals. */
function entityOf(workflowId: string): string {
  const kind = workflowId.slice(0, workflowId.indexOf('-'));
  return { subscription: 'subscription', 'instalment': 'instalment plan', quote: 'quote', invoice: 'invoice' }[kind] ?? 'record';
}
