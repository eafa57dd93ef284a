/**
 * A broken business rule: the one error every rules module throws (domain/, workflows/<name>/rules.ts),
 * and, as a Refusal (below), every request a service or a domain input check refuses (services/,
 * money, pricing, calendars, schedules). `code` is the machine reason callers see; its `kind` says
 * what sort of refusal it is, and the API turns each kind into one HTTP status (`ruleViolationError`
 * in api/workflow-errors.ts), whether the violation comes back from a workflow or is thrown in a
 * route or a service (the error handler maps it too).
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

  // Requests refused by a service or a domain input check (Refusal, below).
  resource_missing: 'invalid',
  parameter_missing: 'invalid',
  currency_mismatch: 'invalid',
  tax_rate_inactive: 'invalid',
  coupon_not_redeemable: 'invalid',
  amount_too_large: 'unprocessable',
  price_inactive: 'unprocessable',
  money_invalid: 'unprocessable',
  date_invalid: 'unprocessable',
  term_not_whole_periods: 'unprocessable',
  invoice_is_instalment: 'unprocessable',
  invoice_not_open: 'unprocessable',
  invoice_partially_paid: 'unprocessable',
  no_payment_method: 'unprocessable',
  invoice_already_split: 'conflict',
  collection_not_running: 'conflict',
} as const satisfies Record<string, RuleKind>;

export type RuleCode = keyof typeof RULE_KINDS;

/** The kind of a code; one this build does not know (sent by a newer worker) is a request breaking a rule. */
export function ruleKind(code: string): RuleKind {
  return Object.hasOwn(RULE_KINDS, code) ? RULE_KINDS[code as RuleCode] : 'unprocessable';
}

export class RuleViolation extends Error {
  override name = 'RuleViolation';
  readonly kind: RuleKind;
  /** A code outside RuleCode only comes back from the wire (api/workflow-errors.ts), never from a rule. */
  readonly code: string;
  constructor(
    code: RuleCode,
    message: string,
    /** The request field at fault (the API names it as `param`). */
    readonly param?: string,
    /** Only an Refusal, which never crosses the Temporal boundary, may answer other than its code's kind. */
    kind: RuleKind = ruleKind(code),
  ) {
    super(message);
    this.code = code;
    this.kind = kind;
  }
}

/**
 * A request's input refused by a service (a missing reference, a field out of range) or by a domain
 * input check (money, pricing, calendars, schedules: their error classes extend it, keeping their
 * names, which activity retry policies list). Two things set it apart from a rule's violation:
 * - its message is the sentence the caller reads, sent as written (a rule's short reason is made a
 *   sentence by the API);
 * - a workflow does not turn it into a rule failure (workflows/shared/rule-failure.ts): inside a workflow it
 *   is a bug in what the workflow was given, failing as any other error would.
 */
export class Refusal extends RuleViolation {
  override name = 'Refusal';
}

/** A record named in the request does not exist: 400 naming the field, in the words every such refusal uses. */
export const missingReference = (param: string, kind: string, id: string): Refusal =>
  new Refusal('resource_missing', `No such ${kind}: '${id}'`, param);

/** One request field is wrong: 400 naming it (`parameter_invalid` unless a code says more). */
export const invalidInput = (param: string, message: string, code: RuleCode = 'parameter_invalid'): Refusal => new Refusal(code, message, param);

/** Not allowed in the record's current state; the message says why (subscriptions, invoice collection). */
export const stateViolation = (message: string): RuleViolation => new RuleViolation('invalid_state_transition', message);

/** One request field breaks a rule (a proration date out of order): a bad input naming the field. */
export const fieldViolation = (param: string, message: string): RuleViolation => new RuleViolation('parameter_invalid', message, param);
