/**
 * One subscription, for its whole life: wait for each period boundary, then invoice the period,
 * collect payment and tell the customer. Pause, resume and cancel arrive as signals (operators) or
 * updates (API); the loop re-evaluates whenever they change the state (subscription-state.ts).
 */
import { continueAsNew, workflowInfo } from '@temporalio/workflow';
import { handleTimedEvent, invoiceLeftovers, passBoundary } from './billing';
import type { SubscriptionView, SubscriptionWorkflowInput } from './contract';
import { recordBeforeWaiting } from './legacy';
import { SubscriptionEntity } from './subscription-state';
import { pendingEvents } from './timeline';

/** Start a fresh run at least this often, whatever the history size, to keep replays quick. */
export const BOUNDARIES_PER_RUN = 36;

export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<SubscriptionView> {
  const sub = new SubscriptionEntity(input);
  sub.registerHandlers();
  const { state, recorded } = sub;

  let boundariesThisRun = 0;
  for (;;) {
    await recordBeforeWaiting(recorded);
    if (state.status === 'canceled') break;

    // Trial start, notices, a scheduled pause or resume: whichever comes first, up to the boundary.
    const boundary = sub.periodAt(state.nextPeriodIndex);
    const event = pendingEvents(input, state, sub.periodAt).find((e) => Date.parse(e.at) <= Date.parse(boundary.start));
    const wakeAt = Date.parse(event?.at ?? boundary.start);
    if (wakeAt > Date.now() && !(await recorded.sleepUntil(wakeAt))) continue;
    if (event) {
      await handleTimedEvent(sub, event);
      sub.changed();
      continue;
    }

    boundariesThisRun += 1;
    if (!(await passBoundary(sub, boundary))) continue;

    if (boundariesThisRun >= BOUNDARIES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await recorded.finishHandlers();
      return continueAsNew<typeof subscriptionWorkflow>({ ...input, carriedState: state });
    }
  }

  await invoiceLeftovers(sub);
  await recorded.finishHandlers();
  return sub.view();
}
