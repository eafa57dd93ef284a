/**
 * Emails a one-time portal sign-in link (activities/portal-sign-in.ts). A link is worth nothing once
 * it has expired, so delivery is retried only within its 15 minutes.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { BillingActivities } from '../../activities';
import { NON_RETRYABLE_ERRORS } from '../shared/activity-options';
import type { PortalSignInInput } from './contract';

const emailActivities = proxyActivities<Pick<BillingActivities, 'sendPortalSignInLink'>>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '15 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE_ERRORS },
});

export async function portalSignInWorkflow(input: PortalSignInInput): Promise<string> {
  return emailActivities.sendPortalSignInLink(input);
}
