import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ApiError } from '../../api/errors';
import { workflowCallError } from '../../api/workflow-errors';

const asApiError = (err: unknown): ApiError => {
  const mapped = workflowCallError(err, 'Cannot pause subscription sub_1');
  expect(mapped).toBeInstanceOf(ApiError);
  return mapped as ApiError;
};

test('a second start of the same workflow id is a 409, never a second workflow', () => {
  const err = asApiError(new WorkflowExecutionAlreadyStartedError('already started', 'subscription-sub_1', 'subscriptionWorkflow'));
  expect(err.statusCode).toBe(409);
  expect(err.code).toBe('workflow_already_started');
});

test('an update its validator rejects is a 409 carrying the workflow reason', () => {
  const cause = ApplicationFailure.create({ message: 'subscription is already paused', type: 'LifecycleRuleError' });
  const err = asApiError(new WorkflowUpdateFailedError('Workflow Update failed', cause));
  expect(err).toMatchObject({ statusCode: 409, code: 'invalid_state_transition', message: 'Subscription is already paused.' });
});

test('a rejected update that names the field at fault is a 400 naming it as param', () => {
  const cause = ApplicationFailure.create({ message: 'proration_date is before the last plan change', type: 'LifecycleRuleError', details: [{ param: 'proration_date' }] });
  const err = asApiError(new WorkflowUpdateFailedError('Workflow Update failed', cause));
  expect(err).toMatchObject({ statusCode: 400, code: 'parameter_invalid', param: 'proration_date', message: 'proration_date is before the last plan change.' });
});

test('a finished workflow is a 409; other errors pass through untouched', () => {
  expect(asApiError(new WorkflowNotFoundError('gone', 'subscription-sub_1', undefined)).statusCode).toBe(409);
  const other = new Error('boom');
  expect(workflowCallError(other, 'x')).toBe(other);
});
