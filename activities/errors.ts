import { ApplicationFailure } from '@temporalio/common';

/**
 * A record the workflow relies on is missing: retrying cannot fix it, so fail the activity for good
 * and let the workflow decide. Anything else thrown by an activity is retried by Temporal.
 */
export function recordNotFound(kind: string, id: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${kind} ${id} does not exist`, 'RecordNotFound');
}
