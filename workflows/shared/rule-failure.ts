/**
 * How a RuleViolation crosses the Temporal boundary, both ways. A validator or handler that throws a
 * plain error loses its code and field on the way to the caller, so every workflow turns a violation
 * into a non-retryable ApplicationFailure here, and the API reads it back with `ruleViolationOf`.
 *
 * The wire format is the one the four per-workflow error classes used before this type replaced them,
 * so a failure recorded in a history, or sent by a worker or read by an API process of either build
 * during a rollout, still means the same:
 * - `type`: one per workflow (below), plus the activity failure `InvoiceTransitionError`;
 * - `details`: `[code]` for a coded rule, `[{ param }]` for a field at fault, `[]` for a plain
 *   "not in this state" (`invalid_state_transition`).
 */
import { ApplicationFailure } from '@temporalio/common';
import { RuleViolation, type RuleCode } from '../../domain/rule-violation';

export const RULE_FAILURE_TYPES = {
  subscription: 'LifecycleRuleError',
  invoiceCollection: 'CollectionRuleError',
  quote: 'QuoteRuleError',
  instalmentPlan: 'InstalmentPlanRuleError',
} as const;
export type RuleFailureType = (typeof RULE_FAILURE_TYPES)[keyof typeof RULE_FAILURE_TYPES];

/** An invoice status change an activity refused (activities/collection.ts): a rule, without a code. */
const ACTIVITY_RULE_TYPES: readonly string[] = ['InvoiceTransitionError'];
const RULE_TYPES = new Set<string>([...Object.values(RULE_FAILURE_TYPES), ...ACTIVITY_RULE_TYPES]);

export function ruleFailure(type: RuleFailureType, violation: RuleViolation): ApplicationFailure {
  const details = violation.param ? [{ param: violation.param }] : violation.code === 'invalid_state_transition' ? [] : [violation.code];
  return ApplicationFailure.create({ type, message: violation.message, details, nonRetryable: true });
}

/** Runs a rule; a broken one becomes the failure Temporal returns to the caller of the update. */
export function failingAs<T>(type: RuleFailureType, rule: () => T): T {
  try {
    return rule();
  } catch (err) {
    if (err instanceof RuleViolation) throw ruleFailure(type, err);
    throw err;
  }
}

/** The violation a rule failure carries; undefined for any other failure. */
export function ruleViolationOf(failure: ApplicationFailure): RuleViolation | undefined {
  if (!RULE_TYPES.has(failure.type ?? '')) return undefined;
  const detail: unknown = failure.details?.[0];
  if (typeof detail === 'string') return new RuleViolation(detail as RuleCode, failure.message);
  const param = (detail as { param?: unknown } | undefined)?.param;
  if (typeof param === 'string') return new RuleViolation('parameter_invalid', failure.message, param);
  return new RuleViolation('invalid_state_transition', failure.message);
}
