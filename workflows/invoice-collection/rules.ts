/**
 * What an operator may ask of a collection in progress. The update validators call these, so a
 * request that cannot apply is rejected before it reaches history, and the API answers 409 with
 * the reason.
 */
import { stateViolation } from '../../domain/rule-violation';
import type { CollectionView, ExtendGraceRequest, OfflinePaymentRequest } from './contract';

/** An uncollectible invoice is still open to payment or void; paid and void ones are closed. */
export function checkSettle(view: CollectionView): void {
  if (view.stage === 'paid' || view.stage === 'void') throw stateViolation(`invoice is already ${view.stage}`);
}

export function checkMarkUncollectible(view: CollectionView): void {
  checkSettle(view);
  if (view.stage === 'uncollectible') throw stateViolation('invoice is already uncollectible');
}

/**
 * Charge now: the next retry of an automatic collection taken early, or, for an emailed invoice, the
 * customer paying it with their saved card instead of by transfer.
 */
export function checkRetryNow(view: CollectionView): void {
  checkMarkUncollectible(view);
  if (view.stage === 'charging') throw stateViolation('a charge attempt is already in progress');
}

export function checkSkipRetry(view: CollectionView): void {
  checkSettle(view);
  if (view.stage !== 'retry_scheduled') throw stateViolation('no retry is scheduled');
}

export const MAX_GRACE_DAYS = 60;

export function checkExtendGrace(view: CollectionView, request: ExtendGraceRequest): void {
  checkSkipRetry(view);
  if (!Number.isInteger(request.days) || request.days < 1 || request.days > MAX_GRACE_DAYS) {
    throw stateViolation(`days must be a whole number from 1 to ${MAX_GRACE_DAYS}`);
  }
  if (view.graceDays + request.days > MAX_GRACE_DAYS) {
    throw stateViolation(`grace would total ${view.graceDays + request.days} days; at most ${MAX_GRACE_DAYS}`);
  }
}

const OFFLINE_METHODS = new Set(['check', 'bank_transfer', 'cash', 'other']);

export function checkOfflinePayment(view: CollectionView, amountDue: number, request: OfflinePaymentRequest): void {
  checkSettle(view);
  if (!OFFLINE_METHODS.has(request.method)) throw stateViolation(`unknown payment method "${request.method}"`);
  if (!Number.isSafeInteger(request.amount) || request.amount < 1) throw stateViolation('amount must be a positive whole number of minor units');
  if (request.amount > amountDue) throw stateViolation(`amount ${request.amount} is more than the ${amountDue} due`);
  if (Number.isNaN(Date.parse(request.paidAt))) throw stateViolation('paid_at must be a date-time');
}
