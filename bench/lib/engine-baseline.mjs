// The engine baseline of a billing run: the same number of workflows, all due at one moment, each
// doing the subscription workflow's Temporal work with no-op activities (bench/baseline/), on the
// same Temporal server, with a worker process started and configured like the billing worker.
import { Client, Connection } from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { stopChild } from '../../scripts/lib/proc.mjs';
import { inParallel } from './billing-run.mjs';
import { cpuBetween } from './cpu-usage.mjs';
import { seedDueTogether } from './due-moment.mjs';

export const BASELINE_TASK_QUEUE = 'bench-baseline';
const START_CONCURRENCY = 16;
// Visibility counts hit the server under test, and the figures come from recorded close times: poll gently.
const POLL_MS = 1_000;

/** Starts the baseline worker; resolves with a handle whose stop() drains it like the billing worker. */
export async function startBaselineWorker(stack) {
  const child = await stack.spawnApp('baseline worker', 'bench/baseline/worker.ts', async (output) => output().includes('worker started'), {
    // The billing worker runs at info (its readiness line); so does this one.
    extraEnv: { LOG_LEVEL: 'info', TEMPORAL_TASK_QUEUE: BASELINE_TASK_QUEUE },
  });
  return { child, stop: () => stopChild(child, { graceMs: 20_000 }) };
}

// The billing search attributes (workflows/shared/search-attributes.ts) serve the baseline too: CustomerId
// tags a batch, BillingStatus says the workflow is asleep.
const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
const inBatch = (tag) => `CustomerId = "${tag}"`;

async function waitForCount(client, query, expected, { timeoutMs, onWait }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { count } = await client.workflow.count(query);
    if (count >= expected) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${count} of ${expected} workflows match ${query}`);
    onWait?.(count);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Runs `count` baseline workflows due together; resolves with the wall time from the due moment
 * until the last one closed (its close time, from Temporal's visibility).
 */
export async function runEngineBaseline(stack, { count, beforeDue, afterDue, timeoutMs, cpuOf, log }) {
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection, namespace: 'default' });
  const runId = Date.now().toString(36);
  const startBatch = (tag, n, dueAt) =>
    inParallel(n, START_CONCURRENCY, (i) =>
      client.workflow.start('baselineWorkflow', {
        taskQueue: BASELINE_TASK_QUEUE,
        workflowId: `${tag}-${i}`,
        args: [{ dueAt: dueAt.toISOString(), beforeDue, afterDue }],
        typedSearchAttributes: [{ key: CustomerIdAttribute, value: tag }],
      }),
    );
  try {
    const tag = `bench-baseline-${runId}`;
    const { dueAt, seeding } = await seedDueTogether({
      count,
      warmupCount: Math.min(count, START_CONCURRENCY),
      log: (m) => log(`baseline: ${m}`),
      // Warm-up workflows are due at once; a BillingStatus on each says its pre-due work is done.
      warmup: async (n) => {
        const warmTag = `${tag}-warmup`;
        await startBatch(warmTag, n, new Date());
        await waitForCount(client, `${inBatch(warmTag)} AND BillingStatus IN ("scheduled", "active")`, n, { timeoutMs });
      },
      seed: async (due) => {
        await startBatch(tag, count, due);
        // Asleep: the upsert to "scheduled" completes the same workflow task that starts the timer.
        await waitForCount(client, `${inBatch(tag)} AND BillingStatus = "scheduled"`, count, { timeoutMs });
      },
    });

    const cpuAtDue = await cpuOf();
    log(`baseline: due; waiting for ${count} workflows`);
    let lastLog = Date.now();
    await waitForCount(client, `${inBatch(tag)} AND ExecutionStatus = "Completed"`, count, {
      timeoutMs,
      onWait: (done) => {
        if (Date.now() - lastLog < 5_000) return;
        lastLog = Date.now();
        log(`baseline: ${done}/${count} completed`);
      },
    });
    const cpu = cpuBetween(cpuAtDue, await cpuOf());
    let lastClose = 0;
    for await (const execution of client.workflow.list({ query: `${inBatch(tag)} AND ExecutionStatus = "Completed"` })) {
      lastClose = Math.max(lastClose, execution.closeTime?.getTime() ?? 0);
    }
    const wallSeconds = (lastClose - dueAt.getTime()) / 1000;
    return {
      workflows: count,
      activitiesPerWorkflow: { beforeDue, afterDue },
      dueAt: dueAt.toISOString(),
      wallSeconds: Math.round(wallSeconds * 100) / 100,
      workflowsPerSecond: Math.round((count / wallSeconds) * 10) / 10,
      cpu,
      seeding,
    };
  } finally {
    await connection.close();
  }
}
