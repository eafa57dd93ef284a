// What a fault scenario reports beside the billing-run counts: declines and emails that should not be,
// the chaos gateway's view of the charge requests, Temporal's view of the run's workflows, and progress snapshots.
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { billingRunCounts, inParallel } from '../lib/billing-run.mjs';

/** Beyond billingRunCounts: declines that should not be, and emails sent more than once. */
export async function extraChecks(stack, subscriptionIds) {
  const [row] = await stack.sql(
    `with subs as (select s.id, s.customer_id from subscriptions s where s.id = any($1::text[])),
          inv as (select i.id from invoices i join subs on subs.id = i.subscription_id)
     select
       (select count(*) from payments p join inv on inv.id = p.invoice_id where p.status = 'failed')::int as "failedPayments",
       (select count(*) from email_outbox e join inv on inv.id = e.related_id where e.kind = 'payment_failed')::int as "failureNotices",
       (select count(*) from (select e.customer_id from email_outbox e join subs on subs.customer_id = e.customer_id
                              group by 1 having count(*) > 1) several)::int as "customersWithSeveralEmails"`,
    [subscriptionIds],
  );
  return row;
}

/** What the chaos gateway's log says about this run's charge requests. */
export async function chargeRequestStats(ctx, subscriptionIds) {
  const invoices = await ctx.stack.sql('select id from invoices where subscription_id = any($1::text[])', [subscriptionIds]);
  const ours = new Set(invoices.map((row) => row.id));
  let lines = [];
  try {
    lines = readFileSync(ctx.chargeLog, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  const mine = lines.filter((record) => ours.has(record.invoice_id));
  const perKey = new Map();
  const faults = {};
  for (const record of mine) {
    perKey.set(record.idempotency_key, (perKey.get(record.idempotency_key) ?? 0) + 1);
    if (record.fault !== 'none') faults[record.fault] = (faults[record.fault] ?? 0) + 1;
  }
  return {
    total: mine.length,
    keys: perKey.size,
    // Keys asked more than once: activity retries after a crash or an unknown outcome.
    repeatedKeys: [...perKey.values()].filter((n) => n > 1).length,
    maxPerKey: Math.max(0, ...perKey.values()),
    faults,
  };
}

/** Where the run stands: invoices, payments (and charge attempts still pending) and receipts. */
/**
 * What the workflow histories say about the run: per activity type, how many activity executions
 * needed more than one attempt, the extra attempts, and the failure just before the final attempt
 * (a history keeps only that one: a start-to-close timeout is an attempt lost with a dead worker or
 * a lost completion; an application failure is an error the activity threw), plus workflow task
 * timeouts (a workflow task lost with a worker or a server, or answered too late). Reads the
 * subscriptions' histories and their invoices' collection workflows (where charges and receipts run).
 */
export async function temporalDiagnostics(stack, subscriptionIds) {
  const invoices = await stack.sql('select id from invoices where subscription_id = any($1::text[])', [subscriptionIds]);
  const workflowIds = [...subscriptionIds.map((id) => `subscription-${id}`), ...invoices.map((row) => `invoice-${row.id}`)];
  const connection = await Connection.connect({ address: stack.temporal.address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const retries = {};
    const bump = (activity, cause, extraAttempts) => {
      retries[activity] ??= { activities: 0, extraAttempts: 0, lastFailure: {} };
      const entry = retries[activity];
      entry.activities += 1;
      entry.extraAttempts += extraAttempts;
      entry.lastFailure[cause] = (entry.lastFailure[cause] ?? 0) + 1;
    };
    let workflowTaskTimeouts = 0;
    await inParallel(workflowIds.length, 8, async (i) => {
      const history = await client.workflow.getHandle(workflowIds[i]).fetchHistory();
      const activityTypes = new Map();
      for (const event of history.events ?? []) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled) activityTypes.set(String(event.eventId), scheduled.activityType?.name ?? '?');
        const started = event.activityTaskStartedEventAttributes;
        if (started && started.attempt > 1) {
          const failure = started.lastFailure;
          const type = failure?.applicationFailureInfo?.type;
          const cause = failure?.timeoutFailureInfo
            ? 'timeout'
            : type && type !== 'Error'
              ? type
              : `"${(failure?.message ?? 'failure').slice(0, 60)}"`;
          bump(activityTypes.get(String(started.scheduledEventId)) ?? '?', cause, started.attempt - 1);
        }
        if (event.workflowTaskTimedOutEventAttributes) workflowTaskTimeouts += 1;
      }
    });
    return { activityRetries: retries, workflowTaskTimeouts };
  } finally {
    await connection.close();
  }
}

export async function snapshot(stack, subscriptionIds) {
  try {
    const c = await billingRunCounts(stack, subscriptionIds);
    // A pending payment is a charge attempt in flight; one the gateway's ledger already has is a
    // charge made whose answer the worker has not recorded yet (the case a crash must not double).
    const [{ pending, answerPending }] = await stack.sql(
      `select count(*)::int as pending,
              count(*) filter (where exists (select 1 from sandbox_charges c where c.idempotency_key = p.idempotency_key))::int as "answerPending"
       from payments p join invoices i on i.id = p.invoice_id
       where i.subscription_id = any($1::text[]) and p.status = 'pending'`,
      [subscriptionIds],
    );
    return { invoiced: c.invoiced, paid: c.paid, receipted: c.receipted, pendingCharges: pending, chargedUnrecorded: answerPending };
  } catch (error) {
    return { error: error.message };
  }
}

export const sameProgress = (a, b) => a.invoiced === b.invoiced && a.paid === b.paid && a.receipted === b.receipted;
export const describe = (s) =>
  s.error
    ? `counts unavailable: ${s.error}`
    : `invoiced ${s.invoiced}, paid ${s.paid}, receipted ${s.receipted}, charges in flight ${s.pendingCharges}, of which charged at the gateway ${s.chargedUnrecorded}`;
