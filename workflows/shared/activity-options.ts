/**
 * How the billing workflows call their activities: one place for timeouts and retry rules, so the
 * subscription and invoice collection workflows treat the same failure the same way.
 */
import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Retrying cannot fix these: a missing record, a void invoice, a reused key, an amount out of range,
 * a status change the invoice does not allow.
 */
export const NON_RETRYABLE_ERRORS = ['RecordNotFound', 'InvoiceNotPayable', 'IdempotencyKeyReuseError', 'MoneyError', 'InvoiceTransitionError'];

/** Database writes and emails: quick, retried with backoff while PostgreSQL or the mail provider is down. */
export const RECORD_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE_ERRORS },
};

/**
 * Charging may wait on a slow gateway. Retries reuse the attempt's idempotency key, so an unknown
 * outcome (timeout, 5xx) is settled by asking again rather than by charging again.
 */
export const CHARGE_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: NON_RETRYABLE_ERRORS },
};
