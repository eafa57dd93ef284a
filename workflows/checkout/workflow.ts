/**
 * One checkout session, from the buyer's submit to its outcome. The charges themselves run in the
 * workflows the checkout started (the invoice's collection, each subscription's first period); this
 * one watches the records until they say paid or declined, then owns what follows:
 * - paid (or nothing due now: a trial, a future start): the session is complete, and the buyer and
 *   the merchant get their confirmations (once each, through the outbox);
 * - declined: what the checkout created is undone (the invoice voided, the subscriptions canceled),
 *   the session failed with the decline's message, and the buyer tries again on a fresh form;
 * - no outcome within a day (a gateway down all along): undone the same way, the session expired.
 * Checks come quickly at first (the page waits on them), then back off.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { BillingActivities } from '../../activities';
import { RECORD_ACTIVITY_OPTIONS } from '../shared/activity-options';
import { nowIso } from '../shared/clock';
import type { CheckoutWorkflowInput, CheckoutWorkflowResult } from './contract';

const recordActivities = proxyActivities<Pick<BillingActivities, 'checkCheckoutProgress' | 'closeCheckoutSession' | 'sendCheckoutConfirmations'>>(
  RECORD_ACTIVITY_OPTIONS,
);

/** Waits between checks: twenty half-seconds, a minute of seconds, five minutes of half-minutes, then every five minutes. */
export const CHECK_INTERVALS_MS = [...Array<number>(20).fill(500), ...Array<number>(60).fill(1_000), ...Array<number>(10).fill(30_000)];
const LATER_CHECK_INTERVAL_MS = 5 * 60_000;
/** A session with no outcome after this is closed as expired (Stripe's Checkout Sessions last 24 hours). */
export const CHECKOUT_LIFETIME_MS = 24 * 3_600_000;

export async function checkoutWorkflow({ sessionId }: CheckoutWorkflowInput): Promise<CheckoutWorkflowResult> {
  const startedAt = Date.now();
  for (let check = 0; ; check += 1) {
    const progress = await recordActivities.checkCheckoutProgress({ sessionId });
    if (progress.state === 'paid') {
      await recordActivities.closeCheckoutSession({ sessionId, status: 'complete', failureMessage: null, at: nowIso() });
      await recordActivities.sendCheckoutConfirmations({ sessionId });
      return { sessionId, status: 'complete' };
    }
    if (progress.state === 'declined') {
      await recordActivities.closeCheckoutSession({ sessionId, status: 'failed', failureMessage: progress.failureMessage, at: nowIso() });
      return { sessionId, status: 'failed' };
    }
    if (Date.now() - startedAt >= CHECKOUT_LIFETIME_MS) {
      await recordActivities.closeCheckoutSession({ sessionId, status: 'expired', failureMessage: null, at: nowIso() });
      return { sessionId, status: 'expired' };
    }
    await sleep(CHECK_INTERVALS_MS[check] ?? LATER_CHECK_INTERVAL_MS);
  }
}
