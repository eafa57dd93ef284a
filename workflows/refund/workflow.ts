/**
 * One refund, from the gateway call to the receipt. The refund row (written pending by the API) is
 * the source of truth; each activity is idempotent on it, so a retried or replayed step never
 * refunds twice or emails twice.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { BillingActivities } from '../../activities';
import type { RefundGatewayResult } from '../../activities/refunds';
import type { RefundWorkflowInput, RefundWorkflowResult } from './contract';

/** Retrying cannot fix these: a missing record, a reused key, a payment no gateway of ours can refund. */
const NON_RETRYABLE = ['RecordNotFound', 'IdempotencyKeyReuseError', 'RefundNotExecutable'];

const recordActivities = proxyActivities<BillingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * The gateway may be slow or down. Retries reuse the refund's idempotency key, so an unknown outcome
 * (timeout, 5xx) is settled by asking again rather than by refunding again.
 */
const gatewayActivities = proxyActivities<Pick<BillingActivities, 'refundAtGateway' | 'checkRefundAtGateway'>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** A pending refund (the bank has not confirmed it) is checked again after these waits, then every 6 hours. */
export const PENDING_CHECK_INTERVALS_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000];
const PENDING_CHECK_MAX_INTERVAL_MS = 6 * 3_600_000;

const nowIso = (): string => new Date(Date.now()).toISOString();

/** A permanent activity failure ends the refund as failed with its message, which releases the reserved amount. */
function permanentFailure(err: unknown): string | null {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (cause instanceof ApplicationFailure && cause.type && NON_RETRYABLE.includes(cause.type)) return `${cause.type}: ${cause.message}`;
  return null;
}

export async function refundWorkflow({ refundId, paymentId }: RefundWorkflowInput): Promise<RefundWorkflowResult> {
  let result: RefundGatewayResult;
  try {
    result = await gatewayActivities.refundAtGateway({ refundId, paymentId });
    for (let check = 0; result.status === 'pending'; check += 1) {
      // Remember the gateway's refund id before waiting, so operators can look it up meanwhile.
      await recordActivities.completeRefund({ refundId, result, completedAt: nowIso() });
      await sleep(PENDING_CHECK_INTERVALS_MS[check] ?? PENDING_CHECK_MAX_INTERVAL_MS);
      result = await gatewayActivities.checkRefundAtGateway({ refundId });
    }
  } catch (err) {
    const reason = permanentFailure(err);
    if (reason === null) throw err;
    result = { status: 'failed', gatewayRefundId: null, failureReason: reason };
  }

  const state = await recordActivities.completeRefund({ refundId, result, completedAt: nowIso() });
  if (state.status === 'succeeded') await recordActivities.sendRefundReceipt({ refundId });
  if (state.status === 'pending') throw ApplicationFailure.nonRetryable(`refund ${refundId} is still pending after completion`, 'RefundStillPending');
  return { refundId, status: state.status, failureReason: state.failureReason };
}
