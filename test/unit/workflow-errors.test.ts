import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import Fastify from 'fastify';
import { ApiError } from '../../api/errors';
import errorHandler from '../../api/plugins/error-handler';
import { assertInvoiceTransition } from '../../domain/invoice-status';
import { ruleViolationError, workflowCallError } from '../../api/workflow-errors';
import { RuleViolation, fieldViolation, ruleKind, stateViolation } from '../../domain/rule-violation';
import { RULE_FAILURE_TYPES, failingAs, ruleViolationOf, type RuleFailureType } from '../../workflows/shared/rule-failure';

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

// ---- one rule-violation type, one mapping ------------------------------------------------------

const rejected = (type: string, message: string, details?: unknown[]) =>
  asApiError(new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type, message, details, nonRetryable: true })));

test.each([
  ['conflict', new RuleViolation('plan_paused', 'the plan is paused; resume it first'), { statusCode: 409, code: 'plan_paused', message: 'The plan is paused; resume it first.' }],
  ['unprocessable', new RuleViolation('not_a_signer', 'not a signer of this quote'), { statusCode: 422, code: 'not_a_signer', message: 'Not a signer of this quote.' }],
  ['not_found', new RuleViolation('instalment_not_found', 'the plan has no instalment 9'), { statusCode: 404, code: 'resource_missing', message: 'The plan has no instalment 9.' }],
  ['invalid', fieldViolation('proration_date', 'proration_date is before the last plan change'), { statusCode: 400, code: 'parameter_invalid', param: 'proration_date', message: 'proration_date is before the last plan change.' }],
  ['conflict (plain state)', stateViolation('invoice is already paid'), { statusCode: 409, code: 'invalid_state_transition', message: 'Invoice is already paid.' }],
] as const)('kind %s: a violation maps to its one HTTP answer', (kind, violation, expected) => {
  expect(kind.startsWith(violation.kind)).toBe(true);
  const err = ruleViolationError(violation);
  expect(err).toMatchObject({ type: 'invalid_request_error', ...expected });
  if (!('param' in expected)) expect(err.param).toBeUndefined();
});

test('a code this build does not know (a newer worker) is a request breaking a rule', () => {
  expect(ruleKind('some_future_rule')).toBe('unprocessable');
  expect(rejected('QuoteRuleError', 'a rule from later', ['some_future_rule'])).toMatchObject({ statusCode: 422, code: 'some_future_rule' });
});

test('every workflow sends a violation as a failure of its own type, and the API reads back the same answer', () => {
  const cases: [RuleFailureType, RuleViolation][] = [
    [RULE_FAILURE_TYPES.quote, new RuleViolation('version_superseded', 'that version of the quote was superseded')],
    [RULE_FAILURE_TYPES.instalmentPlan, new RuleViolation('instalment_not_found', 'the plan has no instalment 4')],
    [RULE_FAILURE_TYPES.instalmentPlan, new RuleViolation('due_date_order', 'due dates must stay in order')],
    [RULE_FAILURE_TYPES.subscription, stateViolation('subscription is already paused')],
    [RULE_FAILURE_TYPES.subscription, fieldViolation('proration_date', 'proration_date is outside the current billing period')],
    [RULE_FAILURE_TYPES.invoiceCollection, stateViolation('no retry is scheduled')],
  ];
  for (const [type, violation] of cases) {
    let failure: unknown;
    try {
      failingAs(type, () => {
        throw violation;
      });
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type, message: violation.message, nonRetryable: true });
    expect(ruleViolationOf(failure as ApplicationFailure)).toMatchObject({ code: violation.code, kind: violation.kind, param: violation.param });
    expect(asApiError(new WorkflowUpdateFailedError('Workflow Update failed', failure as ApplicationFailure))).toEqual(ruleViolationError(violation));
  }
});

test('failures in the wire format of the classes this type replaced keep their answers', () => {
  // Quote and instalment-plan rules: the code as first detail; 409 for the record's state, 422 for the request.
  expect(rejected('QuoteRuleError', 'the quote expired on 2031-01-01T00:00:00.000Z', ['quote_expired'])).toMatchObject({ statusCode: 409, code: 'quote_expired' });
  expect(rejected('QuoteRuleError', 'expires_at must be in the future', ['expiry_in_past'])).toMatchObject({ statusCode: 422, code: 'expiry_in_past' });
  expect(rejected('InstalmentPlanRuleError', 'the plan is completed', ['plan_closed'])).toMatchObject({ statusCode: 409, code: 'plan_closed', message: 'The plan is completed.' });
  expect(rejected('InstalmentPlanRuleError', 'the plan has no instalment 7', ['instalment_not_found'])).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  expect(rejected('InstalmentPlanRuleError', 'amount must be at least 1', ['invalid_amount'])).toMatchObject({ statusCode: 422, code: 'invalid_amount' });
  // Collection rules (a plain error from a validator: no details) and an invoice transition an activity refused.
  expect(rejected('CollectionRuleError', 'no retry is scheduled')).toMatchObject({ statusCode: 409, code: 'invalid_state_transition', message: 'No retry is scheduled.' });
  const refused = ApplicationFailure.nonRetryable('invoice in_1 is void', 'InvoiceTransitionError');
  const wrapped = new ActivityFailure('activity failed', 'markInvoicePaid', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', refused);
  expect(asApiError(new WorkflowUpdateFailedError('Workflow Update failed', wrapped))).toMatchObject({ statusCode: 409, code: 'invalid_state_transition', message: 'Invoice in_1 is void.' });
  // Any other rejection keeps the generic answer.
  expect(rejected('SomethingElse', 'nope')).toMatchObject({ statusCode: 409, code: 'update_rejected', message: 'Cannot pause subscription sub_1: nope' });
});

test('a violation thrown in a route (an invoice transition) gets the same answer from the error handler', async () => {
  const app = Fastify();
  await app.register(errorHandler);
  app.post('/finalize', async () => assertInvoiceTransition('paid', 'open', 'in_42'));
  const res = await app.inject({ method: 'POST', url: '/finalize' });
  expect(res.statusCode).toBe(409);
  expect(res.json()).toEqual({
    error: { type: 'invalid_request_error', code: 'invalid_invoice_transition', message: 'Invoice in_42 is paid; it cannot become open (paid is final).' },
  });
  await app.close();
});
