// Billing run: N subscriptions due at the same moment, created through the API; the wall time from
// that moment until every one has its invoice, payment and receipt recorded, then the engine baseline
// (same count, same activity count, no-op bodies) on the same server, right after.
import { billingRunCounts, seedBillingRun } from '../lib/billing-run.mjs';
import { cpuBetween, readCpu } from '../lib/cpu-usage.mjs';
import { seedDueTogether } from '../lib/due-moment.mjs';
import { runEngineBaseline } from '../lib/engine-baseline.mjs';

/** API creates in flight while seeding: each waits for its workflow's first state write. */
const SEED_CONCURRENCY = 16;
// The figures come from recorded timestamps, not from when polling notices: poll gently.
const POLL_MS = 1_000;

const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Progress from PostgreSQL: receipts sent, and subscriptions whose workflow recorded the end of its
 * first period (the last activity of the period), with the instants of the last of each.
 */
async function progress(stack, ids) {
  const [row] = await stack.sql(
    `select
       (select count(*) from email_outbox e join invoices i on i.id = e.related_id
         where i.subscription_id = any($1) and e.kind = 'payment_receipt' and e.status = 'sent')::int as receipted,
       (select max(e.sent_at) from email_outbox e join invoices i on i.id = e.related_id
         where i.subscription_id = any($1) and e.kind = 'payment_receipt' and e.status = 'sent') as last_receipt,
       (select min(i.created_at) from invoices i where i.subscription_id = any($1)) as first_invoice,
       (select count(*) from subscriptions s where s.id = any($1) and s.current_period_index = 0 and s.status = 'active')::int as closed,
       (select max(s.updated_at) from subscriptions s where s.id = any($1) and s.current_period_index = 0) as last_close`,
    [ids],
  );
  return row;
}

async function runBilling(stack, { count, timeoutMs, cpuOf, log }) {
  const { dueAt, seeded, seeding } = await seedDueTogether({
    count,
    warmupCount: Math.min(count, SEED_CONCURRENCY),
    log: (m) => log(`billing: ${m}`),
    // Warm-up subscriptions start now and bill at once, through the same code paths as the run.
    warmup: (n) => seedBillingRun(stack, { count: n, startAt: Date.now(), concurrency: SEED_CONCURRENCY }),
    seed: (due) => seedBillingRun(stack, { count, startAt: due.getTime(), concurrency: SEED_CONCURRENCY }),
  });
  const ids = seeded.subscriptionIds;

  const cpuAtDue = await cpuOf();
  log(`billing: due; waiting for ${count} invoices, payments and receipts`);
  const deadline = Date.now() + timeoutMs;
  let state;
  let lastLog = Date.now();
  for (;;) {
    state = await progress(stack, ids);
    if ((state.receipted >= count && state.closed >= count) || Date.now() > deadline) break;
    if (Date.now() - lastLog >= 5_000) {
      lastLog = Date.now();
      log(`billing: ${state.receipted}/${count} receipted, ${state.closed}/${count} periods recorded`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const cpu = cpuBetween(cpuAtDue, await cpuOf());
  const counts = await billingRunCounts(stack, ids);
  const wallSeconds = state.last_receipt ? (new Date(state.last_receipt) - dueAt) / 1000 : null;
  const periodSeconds = state.last_close ? (new Date(state.last_close) - dueAt) / 1000 : null;
  return {
    subscriptions: count,
    dueAt: dueAt.toISOString(),
    // Due moment to the last receipt: every subscription invoiced, charged and receipted.
    wallSeconds: wallSeconds === null ? null : round(wallSeconds),
    renewalsPerSecond: wallSeconds ? round(count / wallSeconds, 1) : null,
    // Due moment to the last state write, the period's final activity: what the baseline's time matches.
    periodSeconds: periodSeconds === null ? null : round(periodSeconds),
    firstInvoiceAfterSeconds: state.first_invoice ? round((new Date(state.first_invoice) - dueAt) / 1000) : null,
    counts,
    cpu,
    seeding,
  };
}

/** `baselineWorker`: the running engine-baseline worker (lib/engine-baseline.mjs), idle during the billing run. */
export async function measureBillingRun(stack, { count, activities, baselineWorker, log }) {
  // Generous: a stuck run must end with its counts (lost > 0) rather than hang the bench.
  const timeoutMs = Math.max(120_000, count * 500);
  // CPU of every process over each run: both workers are up during both runs, each idle in the other's.
  const cpuOf = () => readCpu(stack, { baselineWorker: baselineWorker.child.pid });
  const billing = await runBilling(stack, { count, timeoutMs, cpuOf, log });
  log(`billing: ${billing.subscriptions} in ${billing.wallSeconds} s (duplicates ${billing.counts.duplicates}, lost ${billing.counts.lost})`);
  const baseline = await runEngineBaseline(stack, { count, ...activities, timeoutMs, cpuOf, log });
  log(`baseline: ${baseline.workflows} in ${baseline.wallSeconds} s`);
  // CPU per subscription-period, by process: where the difference to the baseline is spent.
  const perPeriod = (cpu, worker) => ({
    worker: round((cpu.cpuSeconds[worker] * 1000) / count, 1),
    temporal: round((cpu.cpuSeconds.temporal * 1000) / count, 1),
    postgres: round((cpu.cpuSeconds.postgres * 1000) / count, 1),
  });
  billing.cpuMsPerPeriod = perPeriod(billing.cpu, 'worker');
  baseline.cpuMsPerPeriod = perPeriod(baseline.cpu, 'baselineWorker');
  return {
    billing,
    baseline,
    // Like for like: both from the due moment to the end of the period's last activity.
    ratio: {
      throughput: billing.periodSeconds ? round(baseline.wallSeconds / billing.periodSeconds, 3) : null,
      wallTime: billing.periodSeconds ? round(billing.periodSeconds / baseline.wallSeconds, 2) : null,
    },
  };
}
