/**
 * The dunning policy: what a failed charge means and when to try again. Pure rules; the invoice
 * collection workflow (workflows/invoice-collection) applies them on workflow time.
 */

/** Temporary declines may succeed later; permanent ones will not until the customer acts. */
export type DeclineKind = 'temporary' | 'permanent';

/** Stripe decline codes (and our own `no_payment_method`) that retrying cannot fix. */
const PERMANENT_DECLINES = new Set([
  'expired_card',
  'stolen_card',
  'lost_card',
  'pickup_card',
  'restricted_card',
  'do_not_honor',
  'fraudulent',
  'authentication_required',
  'card_not_supported',
  'currency_not_supported',
  'incorrect_number',
  'invalid_account',
  'new_account_information_available',
  'no_payment_method',
  'revocation_of_authorization',
  'security_violation',
  'stop_payment_order',
  'transaction_not_allowed',
]);

/**
 * Anything not known to be permanent counts as temporary (insufficient_funds, processing_error,
 * rate_limit, try_again_later, generic_decline, ...): a bounded number of retries costs little,
 * while giving up on a card that would have worked loses the customer.
 */
export function classifyDecline(failureCode: string): DeclineKind {
  return PERMANENT_DECLINES.has(failureCode) ? 'permanent' : 'temporary';
}

/** What happens to the invoice once collection has failed for good. */
export type InvoiceAfterFailure = 'past_due' | 'uncollectible';
/** What happens to the subscription that owns it. */
export type SubscriptionAfterFailure = 'past_due' | 'unpaid' | 'canceled';

export interface DunningPolicy {
  /**
   * Retries after a temporary decline, in whole days after the first failed attempt.
   * The default [1, 3, 5] retries on day +1, +3 and +5: up to 3 retries, 4 attempts in all.
   */
  retryDaysAfterFirstFailure: number[];
  invoiceAfterFailure: InvoiceAfterFailure;
  subscriptionAfterFailure: SubscriptionAfterFailure;
}

export const DEFAULT_DUNNING_POLICY: DunningPolicy = {
  retryDaysAfterFirstFailure: [1, 3, 5],
  invoiceAfterFailure: 'past_due',
  subscriptionAfterFailure: 'past_due',
};

/** Checks a policy read from configuration; returns the problem, or null when it is valid. */
export function dunningPolicyProblem(policy: DunningPolicy): string | null {
  const days = policy.retryDaysAfterFirstFailure;
  if (days.length > 10) return 'at most 10 retries';
  for (let i = 0; i < days.length; i++) {
    const day = days[i]!;
    if (!Number.isInteger(day) || day < 1 || day > 60) return `retry day ${day} must be a whole number of days from 1 to 60`;
    if (i > 0 && day <= days[i - 1]!) return 'retry days must strictly increase';
  }
  if (!['past_due', 'uncollectible'].includes(policy.invoiceAfterFailure)) return `unknown invoice outcome "${policy.invoiceAfterFailure}"`;
  if (!['past_due', 'unpaid', 'canceled'].includes(policy.subscriptionAfterFailure)) {
    return `unknown subscription outcome "${policy.subscriptionAfterFailure}"`;
  }
  return null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When retry `retryNumber` (1-based) is due, given the first failure and any grace days an operator
 * granted; null when the policy has no such retry.
 */
export function retryDueAt(policy: DunningPolicy, firstFailureAt: number, retryNumber: number, graceDays: number): number | null {
  const day = policy.retryDaysAfterFirstFailure[retryNumber - 1];
  return day === undefined ? null : firstFailureAt + (day + graceDays) * DAY_MS;
}
