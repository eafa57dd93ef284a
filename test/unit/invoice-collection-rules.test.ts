/** The rules behind the collection workflow's update validators, and the dunning policy they apply. */
import { classifyDecline, dunningPolicyProblem, retryDueAt, DEFAULT_DUNNING_POLICY } from '../../domain/dunning';
import { RuleViolation } from '../../domain/rule-violation';
import {
  checkExtendGrace,
  checkMarkUncollectible,
  checkOfflinePayment,
  checkRetryNow,
  checkSettle,
  checkSkipRetry,
} from '../../workflows/invoice-collection/rules';
import type { CollectionStage, CollectionView, OfflinePaymentRequest } from '../../workflows/invoice-collection/contract';

const view = (stage: CollectionStage, overrides: Partial<CollectionView> = {}): CollectionView => ({
  invoiceId: 'in_1',
  stage,
  collectionMethod: 'charge_automatically',
  attempts: 1,
  nextRetryAt: null,
  graceDays: 0,
  pastDue: false,
  lastFailureCode: null,
  ...overrides,
});

const offline = (overrides: Partial<OfflinePaymentRequest> = {}): OfflinePaymentRequest => ({
  amount: 500,
  method: 'check',
  paidAt: '2026-11-22T10:00:00Z',
  reference: null,
  sendReceipt: false,
  requestKey: 'k',
  ...overrides,
});

describe('declines', () => {
  test.each(['insufficient_funds', 'processing_error', 'rate_limit', 'try_again_later', 'generic_decline'])('%s is temporary', (code) => {
    expect(classifyDecline(code)).toBe('temporary');
  });
  test.each(['expired_card', 'stolen_card', 'lost_card', 'do_not_honor', 'authentication_required', 'no_payment_method'])('%s is permanent', (code) => {
    expect(classifyDecline(code)).toBe('permanent');
  });
});

describe('retry schedule', () => {
  const first = Date.parse('2026-01-31T09:00:00Z');
  test('retries on day +1, +3 and +5 after the first failure, then none', () => {
    expect([1, 2, 3, 4].map((n) => retryDueAt(DEFAULT_DUNNING_POLICY, first, n, 0))).toEqual([
      Date.parse('2026-02-01T09:00:00Z'),
      Date.parse('2026-02-03T09:00:00Z'),
      Date.parse('2026-02-05T09:00:00Z'),
      null,
    ]);
  });
  test('grace days push every remaining retry', () => {
    expect(retryDueAt(DEFAULT_DUNNING_POLICY, first, 2, 4)).toBe(Date.parse('2026-02-07T09:00:00Z'));
  });
  test('configured policies are checked', () => {
    expect(dunningPolicyProblem(DEFAULT_DUNNING_POLICY)).toBeNull();
    expect(dunningPolicyProblem({ ...DEFAULT_DUNNING_POLICY, retryDaysAfterFirstFailure: [] })).toBeNull();
    expect(dunningPolicyProblem({ ...DEFAULT_DUNNING_POLICY, retryDaysAfterFirstFailure: [3, 1] })).toMatch(/increase/);
    expect(dunningPolicyProblem({ ...DEFAULT_DUNNING_POLICY, retryDaysAfterFirstFailure: [0.5] })).toMatch(/whole number/);
    expect(dunningPolicyProblem({ ...DEFAULT_DUNNING_POLICY, subscriptionAfterFailure: 'deleted' as never })).toMatch(/unknown subscription outcome/);
  });
});

describe('operator actions', () => {
  test('nothing changes a paid or void invoice', () => {
    for (const stage of ['paid', 'void'] as const) {
      expect(() => checkSettle(view(stage))).toThrow(RuleViolation);
      expect(() => checkRetryNow(view(stage))).toThrow(`invoice is already ${stage}`);
      expect(() => checkOfflinePayment(view(stage), 500, offline())).toThrow(RuleViolation);
    }
  });

  test('an uncollectible invoice can be paid or voided, not charged or written off again', () => {
    expect(() => checkSettle(view('uncollectible'))).not.toThrow();
    expect(() => checkOfflinePayment(view('uncollectible'), 500, offline())).not.toThrow();
    expect(() => checkRetryNow(view('uncollectible'))).toThrow('already uncollectible');
    expect(() => checkMarkUncollectible(view('uncollectible'))).toThrow('already uncollectible');
  });

  test('charge now: any open invoice (an emailed one with the saved card), not while a charge is in flight', () => {
    expect(() => checkRetryNow(view('retry_scheduled'))).not.toThrow();
    expect(() => checkRetryNow(view('awaiting_payment', { pastDue: true }))).not.toThrow();
    expect(() => checkRetryNow(view('awaiting_payment', { collectionMethod: 'send_invoice' }))).not.toThrow();
    expect(() => checkRetryNow(view('charging'))).toThrow('already in progress');
    expect(() => checkRetryNow(view('charging', { collectionMethod: 'send_invoice' }))).toThrow('already in progress');
    expect(() => checkRetryNow(view('paid', { collectionMethod: 'send_invoice' }))).toThrow('already paid');
  });

  test('skip and grace need a scheduled retry; grace is 1-60 days in total', () => {
    expect(() => checkSkipRetry(view('awaiting_payment'))).toThrow('no retry is scheduled');
    expect(() => checkExtendGrace(view('awaiting_payment'), { days: 2 })).toThrow('no retry is scheduled');
    expect(() => checkExtendGrace(view('retry_scheduled'), { days: 2 })).not.toThrow();
    expect(() => checkExtendGrace(view('retry_scheduled'), { days: 0 })).toThrow('from 1 to 60');
    expect(() => checkExtendGrace(view('retry_scheduled'), { days: 1.5 })).toThrow('from 1 to 60');
    expect(() => checkExtendGrace(view('retry_scheduled', { graceDays: 59 }), { days: 2 })).toThrow('at most 60');
  });

  test('offline payments: a known method, a positive amount no larger than what is due', () => {
    expect(() => checkOfflinePayment(view('awaiting_payment'), 500, offline())).not.toThrow();
    expect(() => checkOfflinePayment(view('awaiting_payment'), 500, offline({ amount: 501 }))).toThrow('more than the 500 due');
    expect(() => checkOfflinePayment(view('awaiting_payment'), 500, offline({ amount: 0 }))).toThrow('positive');
    expect(() => checkOfflinePayment(view('awaiting_payment'), 500, offline({ amount: 1.5 }))).toThrow('positive');
    expect(() => checkOfflinePayment(view('awaiting_payment'), 500, offline({ method: 'crypto' as never }))).toThrow('unknown payment method');
    expect(() => checkOfflinePayment(view('awaiting_payment'), 500, offline({ paidAt: 'yesterday' }))).toThrow('paid_at');
  });
});
