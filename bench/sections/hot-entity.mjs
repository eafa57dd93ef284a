// Hot entity: many clients changing the same record at once, as a busy integration would. 20 clients
// pause and resume one subscription for the run's duration, then 20 clients do the same on 20
// subscriptions (one each). Each change carries its own Idempotency-Key; a 202 (pending) or 409
// lock_timeout is retried with that key after Retry-After until the change's outcome comes, as the API
// guide tells callers to. Reported: every HTTP answer by status, their p50/p99, the time from a change's
// first request to its outcome, and how many changes applied although their caller was told they
// failed (from the workflows' histories: every update id accepted, across continue-as-new runs, against
// the changes answered 200). That last figure must be 0.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { seedBillingRun, waitForBillingRun } from '../lib/billing-run.mjs';

const ACTIONS = ['pause', 'resume'];
/** Their updates' names in the workflow's history (workflows/subscription/contract.ts). */
const UPDATE_NAMES = ['pauseSubscription', 'resumeSubscription'];
/** A change still without an outcome this long after the load ends counts as unanswered. */
const SETTLE_MS = 60_000;

const round = (value, digits = 1) => (value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits);
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One change until its outcome: the answers on the way and the final one. */
async function changeUntilKnown(stack, url, giveUpAt, answers) {
  const key = randomUUID();
  const started = performance.now();
  for (;;) {
    const sent = performance.now();
    let status;
    let code;
    let retryAfter = 1;
    try {
      const response = await fetch(stack.apiUrl + url, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.adminKey}`, 'idempotency-key': key },
      });
      status = response.status;
      retryAfter = Number(response.headers.get('retry-after') ?? 1);
      const text = await response.text();
      code = status >= 400 && text ? JSON.parse(text).error?.code : undefined;
    } catch {
      status = 'network error';
    }
    answers.push({ status: code === 'lock_timeout' ? '409 lock_timeout' : String(status), ms: performance.now() - sent });
    const pending = status === 202 || code === 'lock_timeout' || code === 'idempotency_key_in_use';
    if (!pending) return { status, code, outcomeMs: performance.now() - started };
    if (Date.now() > giveUpAt) return { status: 'unanswered', outcomeMs: performance.now() - started };
    await sleep(retryAfter * 1000);
  }
}

/** `clients` clients for `seconds`, client i on `subscriptionIds[i % length]`, alternating pause and resume. */
async function storm(stack, subscriptionIds, { clients, seconds }) {
  const answers = [];
  const changes = [];
  const endAt = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      const id = subscriptionIds[client % subscriptionIds.length];
      for (let turn = client; Date.now() < endAt; turn++) {
        const action = ACTIONS[turn % ACTIONS.length];
        changes.push({ id, action, ...(await changeUntilKnown(stack, `/v1/subscriptions/${id}/${action}`, endAt + SETTLE_MS, answers)) });
      }
    }),
  );
  return { answers, changes };
}

/** Update ids each workflow accepted for pause/resume, over all its runs (a retried id counts once). */
async function acceptedChanges(temporal, workflowId) {
  const ids = new Set();
  for await (const execution of temporal.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    const history = await temporal.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    for (const event of history.events ?? []) {
      const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
      const name = accepted?.acceptedRequest?.input?.name;
      if (accepted && UPDATE_NAMES.includes(name)) ids.add(accepted.acceptedRequest.meta.updateId);
    }
  }
  return { ids, runs: await countRuns(temporal, workflowId) };
}

async function countRuns(temporal, workflowId) {
  let runs = 0;
  for await (const _ of temporal.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs++;
  return runs;
}

async function summarise(stack, temporal, subscriptionIds, { answers, changes }, seconds) {
  const byStatus = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  const latencies = answers.map((a) => a.ms).sort((x, y) => x - y);
  const outcomes = changes.map((c) => c.outcomeMs).sort((x, y) => x - y);
  const outcomeByStatus = {};
  for (const c of changes) {
    const label = c.status === 200 ? 'applied' : c.status === 'unanswered' ? 'unanswered' : `refused ${c.status}${c.code ? ` ${c.code}` : ''}`;
    outcomeByStatus[label] = (outcomeByStatus[label] ?? 0) + 1;
  }
  // Give visibility a moment to list the last runs.
  await sleep(2_000);
  let accepted = 0;
  let runs = 0;
  let finalStateMismatches = 0;
  for (const id of subscriptionIds) {
    const [row] = await stack.sql('select workflow_id, status from subscriptions where id = $1', [id]);
    const found = await acceptedChanges(temporal, row.workflow_id);
    accepted += found.ids.size;
    runs += found.runs;
    // Applied changes alternate from active: paused at the end exactly when one more pause applied.
    const applied = changes.filter((c) => c.id === id && c.status === 200);
    const pauses = applied.filter((c) => c.action === 'pause').length;
    if (row.status !== (pauses > applied.length - pauses ? 'paused' : 'active')) finalStateMismatches++;
  }
  const answered200 = changes.filter((c) => c.status === 200).length;
  return {
    subscriptions: subscriptionIds.length,
    durationSeconds: seconds,
    changes: changes.length,
    changesPerSecond: round(changes.length / seconds),
    answersByStatus: byStatus,
    answerP50Ms: round(percentile(latencies, 50)),
    answerP99Ms: round(percentile(latencies, 99)),
    outcomes: outcomeByStatus,
    outcomeP50Ms: round(percentile(outcomes, 50)),
    outcomeP99Ms: round(percentile(outcomes, 99)),
    workflowRuns: runs,
    appliedChanges: accepted,
    appliedAfterToldFailed: Math.max(0, accepted - answered200),
    answered200NotApplied: Math.max(0, answered200 - accepted),
    finalStateMismatches,
  };
}

export async function measureHotEntity(stack, { clients = 20, seconds = 30, log }) {
  const { subscriptionIds } = await seedBillingRun(stack, { count: clients + 1, startAt: Date.now() });
  await waitForBillingRun(stack, subscriptionIds, { timeoutMs: 120_000 });
  const [hot, ...spread] = subscriptionIds;
  const connection = await Connection.connect({ address: stack.temporal.address });
  const temporal = new Client({ connection, namespace: 'default' });
  try {
    log(`hot entity: ${clients} clients on one subscription for ${seconds} s`);
    const one = await summarise(stack, temporal, [hot], await storm(stack, [hot], { clients, seconds }), seconds);
    log(`hot entity: one subscription: ${JSON.stringify(one)}`);
    log(`hot entity: ${clients} clients on ${spread.length} subscriptions for ${seconds} s`);
    const many = await summarise(stack, temporal, spread, await storm(stack, spread, { clients, seconds }), seconds);
    log(`hot entity: ${spread.length} subscriptions: ${JSON.stringify(many)}`);
    return { clients, oneSubscription: one, manySubscriptions: many };
  } finally {
    await connection.close();
  }
}
