/**
 * The last events of a workflow's history, one short line each: put in a test failure where a change
 * went unanswered, so a CI log shows what the workflow was doing (waiting on an activity, a timer, a
 * workflow task never completed) rather than only that it did not answer.
 */
import type { Client } from '@temporalio/client';

/** The workflow a change URL addresses (`/v1/subscriptions/sub_1/cancel` → `subscription-sub_1`). */
export function workflowIdOfChangeUrl(url: string): string | null {
  const match = /^\/v1\/(subscriptions|quotes|instalment-plans)\/([^/?]+)/.exec(url);
  if (!match) return null;
  const prefix = { subscriptions: 'subscription', quotes: 'quote', 'instalment-plans': 'instalment-plan' }[match[1] as 'subscriptions' | 'quotes' | 'instalment-plans'];
  return `${prefix}-${match[2]}`;
}

interface EventDetails {
  signalName?: string;
  activityType?: { name?: string };
  acceptedRequest?: { input?: { name?: string } };
  failure?: { message?: string };
}

export async function workflowHistoryTail(client: Client, workflowId: string, count = 20): Promise<string> {
  try {
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const first = Number(events[0]?.eventTime?.seconds ?? 0);
    const lines = events.slice(-count).map((event) => {
      const kind = Object.keys(event).find((key) => key.endsWith('EventAttributes')) ?? 'unknown';
      const details = (event as Record<string, EventDetails | undefined>)[kind] ?? {};
      const name = details.signalName ?? details.activityType?.name ?? details.acceptedRequest?.input?.name ?? details.failure?.message ?? '';
      const at = Number(event.eventTime?.seconds ?? 0) - first;
      return `  #${event.eventId} +${at}s ${kind.replace(/EventAttributes$/, '')} ${name}`.trimEnd();
    });
    return `last ${lines.length} of ${events.length} events of ${workflowId} (seconds from its start, server time):\n${lines.join('\n')}`;
  } catch (err) {
    return `history of ${workflowId} unavailable: ${(err as Error).message}`;
  }
}
