import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ApiError, conflict } from './errors';

/**
 * Turns what Temporal says about a signal, update or start into the API's error shape: a rejected
 * update (its validator said no) is a 409 with the workflow's own reason.
 */
export function workflowCallError(err: unknown, what: string): unknown {
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && cause.type === 'LifecycleRuleError') {
      return conflict('invalid_state_transition', capitalise(cause.message));
    }
    return new ApiError(409, 'invalid_request_error', 'update_rejected', `${what}: ${cause?.message ?? err.message}`);
  }
  if (err instanceof WorkflowNotFoundError) return conflict('workflow_not_running', `${what}: its workflow is no longer running.`);
  if (err instanceof WorkflowExecutionAlreadyStartedError) return conflict('workflow_already_started', `${what}: a workflow with this id already exists.`);
  return err;
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1) + (s.endsWith('.') ? '' : '.');
