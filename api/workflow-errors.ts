import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { RuleViolation } from '../domain/rule-violation';
import { ruleViolationOf } from '../workflows/shared/rule-failure';
import { ApiError, conflict, invalidParam, serviceUnavailable, unprocessable } from './errors';

/**
 * Turns what Temporal says about a signal, update or start into the API's error shape: a broken
 * rule (a RuleViolation on its way back from any workflow) is answered by its kind, any other
 * rejected update is a 409 with the workflow's own reason. Every route that calls a workflow uses it.
 */
export function workflowCallError(err: unknown, what: string): unknown {
  if (err instanceof WorkflowUpdateFailedError) {
    // A rejection by the validator is the cause itself; a rule broken inside an activity comes wrapped.
    const cause = err.cause instanceof ActivityFailure && err.cause.cause ? err.cause.cause : err.cause;
    const violation = cause instanceof ApplicationFailure ? ruleViolationOf(cause) : undefined;
    if (violation) return ruleViolationError(violation);
    return new ApiError(409, 'invalid_request_error', 'update_rejected', `${what}: ${cause?.message ?? err.message}`);
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadlineExceeded(err)) {
    return serviceUnavailable(
      `${what}: its workflow did not answer in time (is the billing worker running?). The change may still apply; read the subscription before retrying.`,
    );
  }
  if (err instanceof WorkflowNotFoundError) return conflict('workflow_not_running', `${what}: its workflow is no longer running.`);
  if (err instanceof WorkflowExecutionAlreadyStartedError) return conflict('workflow_already_started', `${what}: a workflow with this id already exists.`);
  return err;
}

/**
 * The one mapping from a broken business rule to the API's answer, by its kind: 409 for the record's
 * state, 422 for a request breaking a rule, 400 naming the field at fault, 404 for a missing part.
 */
export function ruleViolationError(violation: RuleViolation): ApiError {
  const { code, param, message } = violation;
  switch (violation.kind) {
    case 'conflict':
      return conflict(code, capitalise(message));
    case 'unprocessable':
      return unprocessable(undefined, code, capitalise(message));
    case 'not_found':
      return new ApiError(404, 'invalid_request_error', 'resource_missing', capitalise(message));
    case 'invalid':
      // A message opening with the field's name keeps its spelling.
      if (param) return invalidParam(param, message.startsWith(param) ? endSentence(message) : capitalise(message));
      return unprocessable(undefined, code, capitalise(message));
  }
}

const endSentence = (s: string): string => s + (s.endsWith('.') ? '' : '.');
const capitalise = (s: string): string => endSentence(s.charAt(0).toUpperCase() + s.slice(1));

/** gRPC DEADLINE_EXCEEDED (code 4), as raised when a call outlives the deadline the API set. */
function isDeadlineExceeded(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  return e?.code === 4 || e?.cause?.code === 4;
}
