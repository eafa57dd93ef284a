/**
 * How a plan-creating caller answers a workflow call that failed. Every other refusal is a
 * RuleViolation (domain/rule-violation.ts) the caller maps by its kind; what Temporal says about a
 * start or an update is the caller's to word (api/workflow-errors.ts), so the API passes it in.
 */
export interface PlanRefusals {
  /** A failed workflow start or update, as the caller answers it (returned, not thrown, like api/workflow-errors.ts). */
  workflowCallError(err: unknown, what: string): unknown;
}
