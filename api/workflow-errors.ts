import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

/** Errors that mean "not allowed in this state": the workflow's rules, or the invoice's status. */
const RULE_ERRORS = new Set(['LifecycleRuleError', 'CollectionRuleError', 'InvoiceTransitionError']);
import { ApiError, conflict, invalidParam, serviceUnavailable } from './errors';
import { INSTALMENT_RULE_FAILURE } from '../workflows/instalment-plan/rules';

/**
 * Turns what Temporal says about a signal, update or start into the API's error shape: a rejected
 * update (its validator said no) is a 409 with the workflow's own reason.
 */
export function workflowCallError(err: unknown, what: string): unknown {
  if (err instanceof WorkflowUpdateFailedError) {
    // A rejection by the validator is the cause itself; a rule broken inside an activity comes wrapped.
    const cause = err.cause instanceof ActivityFailure && err.cause.cause ? err.cause.cause : err.cause;
    if (cause instanceof ApplicationFailure && RULE_ERRORS.has(cause.type ?? '')) {
      // A rule about one field of the request (a proration date out of order) names it, like any bad input;
      // a message opening with the field's name keeps its spelling.
      const param = ruleParam(cause);
      if (param) return invalidParam(param, cause.message.startsWith(param) ? endSentence(cause.message) : capitalise(cause.message));
      return conflict('invalid_state_transition', capitalise(cause.message));
    }
    if (cause instanceof ApplicationFailure && cause.type === INSTALMENT_RULE_FAILURE) return instalmentRuleError(cause);
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
 * A plan change the workflow refused, with the rule's own code: 409 when the plan or instalment is
 * past changing (closed, already invoiced), 422 when the change itself breaks a rule (order of due
 * dates, a total that cannot be kept).
 */
const INSTALMENT_STATE_CODES = new Set(['plan_closed', 'plan_paused', 'plan_not_paused', 'instalment_not_editable', 'invoicing_in_progress', 'nothing_scheduled']);
function instalmentRuleError(failure: ApplicationFailure): ApiError {
  const detail = failure.details?.[0];
  const code = typeof detail === 'string' ? detail : 'instalment_change_refused';
  if (code === 'instalment_not_found') return new ApiError(404, 'invalid_request_error', 'resource_missing', capitalise(failure.message));
  return new ApiError(INSTALMENT_STATE_CODES.has(code) ? 409 : 422, 'invalid_request_error', code, capitalise(failure.message));
}

/** The request field a workflow rule names in its failure's details (`{ param }`), if any. */
function ruleParam(failure: ApplicationFailure): string | undefined {
  const detail = failure.details?.[0] as { param?: unknown } | undefined;
  return typeof detail?.param === 'string' ? detail.param : undefined;
}

const endSentence = (s: string): string => s + (s.endsWith('.') ? '' : '.');
const capitalise = (s: string): string => endSentence(s.charAt(0).toUpperCase() + s.slice(1));

/** gRPC DEADLINE_EXCEEDED (code 4), as raised when a call outlives the deadline the API set. */
function isDeadlineExceeded(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  return e?.code === 4 || e?.cause?.code === 4;
}
