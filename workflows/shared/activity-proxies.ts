/**
 * The activity proxies the owner workflows (subscription, instalment plan, quote) call through, named
 * by the options they run under (activity-options.ts): `recordActivities` write records and send
 * emails, `chargeActivities` charge through the gateway. Every workflow names its proxies this way
 * (`<options>Activities`): invoice collection keeps its own pair under these names, the refund workflow
 * its `recordActivities` and `gatewayActivities` with refund-specific retry rules.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { BillingActivities } from '../../activities';
import { CHARGE_ACTIVITY_OPTIONS, RECORD_ACTIVITY_OPTIONS } from './activity-options';

export const recordActivities = proxyActivities<BillingActivities>(RECORD_ACTIVITY_OPTIONS);

export const chargeActivities = proxyActivities<Pick<BillingActivities, 'chargeInvoice'>>(CHARGE_ACTIVITY_OPTIONS);
