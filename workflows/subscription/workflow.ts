/**
 * One subscription, for its whole life: wait for each period boundary, then invoice the period,
 * collect payment and tell the customer. Pause, resume and cancel arrive as signals (operators) or
 * updates (API); the loop re-evaluates whenever they change the state (subscription-state.ts).
 */
import { continueAsNew, workflowInfo } from '@temporalio/workflow';
import { RunLength } from '../shared/run-length';
import { handleTimedEvent, invoiceLeftovers, passBoundary } from './billing';
import type { SubscriptionView, SubscriptionWorkflowInput } from './contract';
import { recordBeforeWaiting } from './legacy';
import { SubscriptionEntity } from './subscription-state';
import { pendingEvents } from './timeline';

/** Start a fresh run at least this often, whatever the history size, to keep replays quick. */
export const BOUNDARIES_PER_RUN = 36;

export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<SubscriptionView> {
  const runLength = new RunLength(input.historyEventsPerRun, () => sub.updates.appliedCount);
  const sub = new SubscriptionEntity(input);
  sub.registerHandlers();
  const { state, recorded } = sub;
  /** Hands over to a new run with the whole state, once the handlers in flight have answered. */
  const continueInNewRun = async (): Promise<never> => {
    await recorded.finishHandlers();
    return continueAsNew<typeof subscriptionWorkflow>({ ...input, carriedState: state, carriedUpdateIds: sub.updates.carry() });
  };

  let boundariesThisRun = 0;
  for (;;) {
    await recordBeforeWaiting(recorded);
    if (state.status === 'canceled') break;
    // A long history (many updates, or the server's suggestion) hands over between boundaries too.
    if (runLength.due()) return continueInNewRun();

    // Trial start, notices, a scheduled pause or resume: whichever comes first, up to the boundary.
    const boundary = sub.periodAt(state.nextPeriodIndex);
    const event = pendingEvents(input, state, sub.periodAt).find((e) => Date.parse(e.at) <= Date.parse(boundary.start));
    const wakeAt = Date.parse(event?.at ?? boundary.start);
    if (wakeAt > Date.now() && !(await recorded.sleepUntil(wakeAt, runLength.due))) continue;
    if (event) {
      await handleTimedEvent(sub, event);
      sub.changed();
      continue;
    }

    boundariesThisRun += 1;
    if (!(await passBoundary(sub, boundary))) continue;

    if (boundariesThisRun >= BOUNDARIES_PER_RUN || workflowInfo().continueAsNewSuggested) return continueInNewRun();
  }

  await invoiceLeftovers(sub);
  await recorded.finishHandlers();
  return sub.view();
}
