/**
 * The activities invoice collection calls, with the shared timeouts and retry rules
 * (../shared/activity-options.ts), named by those options as in every workflow.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { BillingActivities } from '../../activities';
import { CHARGE_ACTIVITY_OPTIONS, RECORD_ACTIVITY_OPTIONS } from '../shared/activity-options';

/** Records and emails: quick, retried while PostgreSQL or the mail provider is down. */
export const recordActivities = proxyActivities<BillingActivities>(RECORD_ACTIVITY_OPTIONS);

/** The charge itself: a slow gateway is waited for, retries reuse the attempt's idempotency key. */
export const chargeActivities = proxyActivities<Pick<BillingActivities, 'chargeInvoice'>>(CHARGE_ACTIVITY_OPTIONS);
