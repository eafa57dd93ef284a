/**
 * A broken business rule: the one error every rules module throws (domain/, workflows/<name>/rules.ts).
 * `code` is the machine reason callers see; its `kind` says what sort of refusal it is, and the API
 * turns each kind into one HTTP status (`ruleViolationError` in api/workflow-errors.ts), whether the
 * violation comes back from a workflow or is thrown in a route (the error handler maps it too).
 *
 * The kind is looked up from the code here rather than chosen where the rule is written, because a
 * rule broken inside a workflow reaches the API as a Temporal failure that carries the code (and the
 * field at fault) but no kind: the API rebuilds the same violation from it, and both agree by this table.
 */

/** conflict: not in the record's current state (409); unprocessable: the request breaks a rule (422);
 * invalid: one request field is wrong (400 naming it); not_found: the thing named does not exist (404). */
export type RuleKind = 'conflict' | 'unprocessable' | 'invalid' | 'not_found';

export const RULE_KINDS = {
  // Any workflow: not allowed in this state (the message says why), or one request field at fault.
  invalid_state_transition: 'conflict',
  parameter_invalid: 'invalid',

  // Invoices (domain/invoice-status.ts).
  invalid_invoice_transition: 'conflict',

  // Quotes (workflows/quote/rules.ts).
  quote_not_draft: 'conflict',
  quote_changed: 'conflict',
  quote_not_pending_approval: 'conflict',
  quote_not_revisable: 'conflict',
  quote_closed: 'conflict',
  quote_expired: 'conflict',
  quote_not_signable: 'conflict',
  version_superseded: 'conflict',
  content_hash_mismatch: 'conflict',
  already_signed: 'conflict',
  out_of_order: 'conflict',
  link_superseded: 'conflict',
  expiry_in_past: 'unprocessable',
  version_mismatch: 'unprocessable',
  no_customer_signer: 'unprocessable',
  quote_empty: 'unprocessable',
  signer_not_bound: 'unprocessable',
  not_a_signer: 'unprocessable',
  reason_too_long: 'unprocessable',

  // Instalment plans (workflows/instalment-plan/rules.ts, domain/instalment-changes.ts).
  plan_closed: 'conflict',
  plan_paused: 'conflict',
  plan_not_paused: 'conflict',
  instalment_not_editable: 'conflict',
  invoicing_in_progress: 'conflict',
  nothing_scheduled: 'conflict',
  instalment_not_found: 'not_found',
  nothing_to_change: 'unprocessable',
  invalid_amount: 'unprocessable',
  invalid_due_date: 'unprocessable',
  total_would_change: 'unprocessable',
  nothing_to_rebalance: 'unprocessable',
  nothing_to_reschedule: 'unprocessable',
  plan_would_be_empty: 'unprocessable',
  due_date_order: 'unprocessable',
  due_date_in_past: 'unprocessable',
  loan_amount_edit: 'unprocessable',
} as const satisfies Record<string, RuleKind>;

export type RuleCode = keyof typeof RULE_KINDS;

/** The kind of a code; one this build does not know (sent by a newer worker) is a request breaking a rule. */
export function ruleKind(code: string): RuleKind {
  return Object.hasOwn(RULE_KINDS, code) ? RULE_KINDS[code as RuleCode] : 'unprocessable';
}

export class RuleViolation extends Error {
  override readonly name = 'RuleViolation';
  readonly kind: RuleKind;
  /** A code outside RuleCode only comes back from the wire (api/workflow-errors.ts), never from a rule. */
  readonly code: string;
  constructor(
    code: RuleCode,
    message: string,
    /** The request field at fault, for an `invalid` violation (the API names it as `param`). */
    readonly param?: string,
  ) {
    super(message);
    this.code = code;
    this.kind = ruleKind(code);
  }
}

/** Not allowed in the record's current state; the message says why (subscriptions, invoice collection). */
export const stateViolation = (message: string): RuleViolation => new RuleViolation('invalid_state_transition', message);

/** One request field breaks a rule (a proration date out of order): a bad input naming the field. */
export const fieldViolation = (param: string, message: string): RuleViolation => new RuleViolation('parameter_invalid', message, param);
