// The readable side of the bench summary: one table, each figure next to its baseline and the ratio
// measured ÷ baseline (above 1: costs more or takes longer; for rates, below 1: slower).

const num = (value, digits = 1) => (value === null || value === undefined ? '–' : Number(value).toFixed(digits));
const mib = (bytes) => `${num(bytes / 1024 / 1024)} MiB`;
const kib = (bytes) => `${num(bytes / 1024, 2)} KiB`;
const cpuMs = (c) => `${num(c.server, 2)} + ${num(c.postgres, 2)} ms`;
const cpuTriple = (c) => `${num(c.worker, 0)} / ${num(c.temporal, 0)} / ${num(c.postgres, 0)} ms`;
const times = (ratio, digits = 2) => (ratio === null || ratio === undefined ? '–' : `${Number(ratio).toFixed(digits)}×`);

function billingRows({ billing, baseline, ratio }) {
  const c = billing.counts;
  return [
    { title: `Billing run: ${billing.subscriptions} subscriptions due at once`, measured: 'billing', baseline: 'no-op engine' },
    ['due → last receipt', `${num(billing.wallSeconds, 2)} s`, '', ''],
    ['renewals / s', num(billing.renewalsPerSecond), '', ''],
    [`due → period's ${baseline.activitiesPerWorkflow.afterDue} activities done`, `${num(billing.periodSeconds, 2)} s`, `${num(baseline.wallSeconds, 2)} s`, times(ratio.wallTime)],
    ['periods / s', num(billing.subscriptions / billing.periodSeconds), num(baseline.workflowsPerSecond), times(ratio.throughput, 3)],
    ['CPU per period: worker / Temporal / PostgreSQL', cpuTriple(billing.cpuMsPerPeriod), cpuTriple(baseline.cpuMsPerPeriod), ''],
    ['invoiced / charged / receipted', `${c.invoiced} / ${c.charged} / ${c.receipted}`, '', ''],
    ['duplicates / lost', `${c.duplicates} / ${c.lost}`, '', ''],
    ['seeding (API) / slack before due', `${num(billing.seeding.perSecond)}/s, ${num(billing.seeding.slackSeconds)} s`, `${num(baseline.seeding.perSecond)}/s, ${num(baseline.seeding.slackSeconds)} s`, ''],
  ];
}

/** API reads: each figure beside bare pg (same SQL, GET by id only) and bare Fastify, ratios in that order. */
function apiRows(api) {
  const rows = [{ title: `API reads: ${api.connections} connections, ${api.durationSeconds} s per route`, measured: 'API', baseline: 'bare pg | bare Fastify' }];
  const both = (route, figure) => `${route.pgBaseline ? figure(route.pgBaseline) : '–'} | ${figure(route.baseline)}`;
  const ratios = (route, key, digits) => `${route.pgRatio ? times(route.pgRatio[key], digits) : '–'} | ${times(route.ratio[key], digits)}`;
  for (const route of [api.byId, api.list]) {
    rows.push([route.route, '', '', '']);
    rows.push(['  p50 latency', `${num(route.api.p50Ms, 2)} ms`, both(route, (r) => `${num(r.p50Ms, 2)} ms`), ratios(route, 'p50')]);
    rows.push(['  p99 latency', `${num(route.api.p99Ms, 2)} ms`, both(route, (r) => `${num(r.p99Ms, 2)} ms`), ratios(route, 'p99')]);
    rows.push(['  requests / s', num(route.api.requestsPerSecond, 0), both(route, (r) => num(r.requestsPerSecond, 0)), ratios(route, 'requestsPerSecond', 3)]);
    rows.push(['  CPU per request (server + PostgreSQL)', cpuMs(route.api.cpuMsPerRequest), both(route, (r) => cpuMs(r.cpuMsPerRequest)), '']);
    if (route.api.non2xx || route.api.errors) rows.push(['  non-2xx / errors', `${route.api.non2xx} / ${route.api.errors}`, '', '']);
  }
  return rows;
}

/** A customer page beside the API's GET by id (same load, measured right after it; '–' without the api section). */
function pageRows(page, api) {
  const byId = api?.byId.api;
  const ratio = (a, b) => (byId ? times(a / b, 2) : '');
  const rows = [{ title: `${page.title ?? 'Quote acceptance page'}: ${page.connections} connections, ${page.durationSeconds} s`, measured: 'page', baseline: 'API GET by id' }];
  rows.push([page.route, `${num(page.htmlBytes / 1024, 1)} KiB HTML`, api ? api.byId.route : '–', '']);
  rows.push(['  p50 latency', `${num(page.page.p50Ms, 2)} ms`, byId ? `${num(byId.p50Ms, 2)} ms` : '–', ratio(page.page.p50Ms, byId?.p50Ms)]);
  rows.push(['  p99 latency', `${num(page.page.p99Ms, 2)} ms`, byId ? `${num(byId.p99Ms, 2)} ms` : '–', ratio(page.page.p99Ms, byId?.p99Ms)]);
  rows.push(['  pages / s (requests / s)', num(page.page.requestsPerSecond, 0), byId ? num(byId.requestsPerSecond, 0) : '–', ratio(page.page.requestsPerSecond, byId?.requestsPerSecond)]);
  rows.push(['  CPU per request (server + PostgreSQL)', cpuMs(page.page.cpuMsPerRequest), byId ? cpuMs(byId.cpuMsPerRequest) : '–', '']);
  if (page.page.non2xx || page.page.errors) rows.push(['  non-2xx / errors', `${page.page.non2xx} / ${page.page.errors}`, '', '']);
  return rows;
}

function idleRows(idle, engine, cache) {
  return [
    { title: `Idle cost: ${idle.subscriptions} subscriptions asleep until next month, worker cache ${cache ?? 'default (50)'}`, measured: `${idle.subscriptions} asleep`, baseline: 'none' },
    ['worker RSS', mib(idle.measured.workerRssBytes), mib(idle.baseline.workerRssBytes), times(idle.ratio.workerRss)],
    [engine === 'server' ? 'Temporal databases (PostgreSQL)' : 'Temporal database (SQLite + WAL)', mib(idle.measured.temporalDbBytes), mib(idle.baseline.temporalDbBytes), times(idle.ratio.temporalDb)],
    ['per subscription: RSS / database', `${kib(idle.perSubscription.workerRssBytes)} / ${kib(idle.perSubscription.temporalDbBytes)}`, '', ''],
    ...(idle.first
      ? [
          [`worker RSS with the first ${idle.first.subscriptions} asleep`, mib(idle.first.workerRssBytes), '', ''],
          [`growth from ${idle.first.subscriptions} to ${idle.subscriptions} asleep: RSS / database`, `${mib(idle.measured.workerRssBytes - idle.first.workerRssBytes)} / ${mib(idle.measured.temporalDbBytes - idle.first.temporalDbBytes)}`, '', ''],
          ['  per subscription beyond the first: RSS / database', `${kib(idle.perSubscriptionAfterFirst.workerRssBytes)} / ${kib(idle.perSubscriptionAfterFirst.temporalDbBytes)}`, '', ''],
        ]
      : []),
  ];
}

function historyRows(history) {
  const run = history.firstRun;
  return [
    { title: 'History: subscriptionWorkflow, monthly, happy path (time-skipping server)', measured: '', baseline: '' },
    ['activities before due / per period (with collection)', `${history.activitiesBeforeDue} / ${history.activitiesPerPeriod}`, '', ''],
    ['events / bytes per period', `${history.eventsPerPeriod} / ${history.bytesPerPeriod} B`, '', ''],
    ...(history.collectionEvents ? [['invoice collection workflow per period: activities / events', `${history.collectionActivities} / ${history.collectionEvents}`, '', '']] : []),
    [`first run (${run.boundaries} periods, then continue-as-new)`, `${run.events} events, ${kib(run.bytes)}`, '', ''],
    ...(history.instalmentPlan ? instalmentPlanRows(history.instalmentPlan) : []),
  ];
}

function instalmentPlanRows(plan) {
  return [
    { title: 'History: instalmentPlanWorkflow, monthly, reminders, happy path', measured: '', baseline: '' },
    ['activities / events / bytes per instalment', `${plan.activitiesPerInstalment} / ${plan.eventsPerInstalment} / ${plan.bytesPerInstalment} B`, '', ''],
    [`first run (${plan.firstRun.instalments} instalments, then continue-as-new)`, `${plan.firstRun.events} events, ${kib(plan.firstRun.bytes)}`, '', ''],
  ];
}

function hotRows(hot) {
  const rows = [{ title: `Hot entity: ${hot.clients} clients pausing and resuming, ${hot.oneSubscription.durationSeconds} s each`, measured: 'one subscription', baseline: `${hot.manySubscriptions.subscriptions} subscriptions` }];
  const [one, many] = [hot.oneSubscription, hot.manySubscriptions];
  const statuses = (run) => Object.entries(run.answersByStatus).map(([k, v]) => `${k}: ${v}`).join(', ');
  const outcomes = (run) => Object.entries(run.outcomes).map(([k, v]) => `${k}: ${v}`).join(', ');
  rows.push(['changes (per second)', `${one.changes} (${num(one.changesPerSecond)})`, `${many.changes} (${num(many.changesPerSecond)})`, '']);
  rows.push(['answers by status', statuses(one), statuses(many), '']);
  rows.push(['answer p50 / p99', `${num(one.answerP50Ms)} / ${num(one.answerP99Ms)} ms`, `${num(many.answerP50Ms)} / ${num(many.answerP99Ms)} ms`, '']);
  rows.push(['outcomes', outcomes(one), outcomes(many), '']);
  rows.push(['request → outcome p50 / p99', `${num(one.outcomeP50Ms)} / ${num(one.outcomeP99Ms)} ms`, `${num(many.outcomeP50Ms)} / ${num(many.outcomeP99Ms)} ms`, '']);
  rows.push(['workflow runs (continue-as-new)', String(one.workflowRuns), String(many.workflowRuns), '']);
  rows.push(['applied after told failed (must be 0)', String(one.appliedAfterToldFailed), String(many.appliedAfterToldFailed), '']);
  rows.push(['answered 200, not applied / final state wrong', `${one.answered200NotApplied} / ${one.finalStateMismatches}`, `${many.answered200NotApplied} / ${many.finalStateMismatches}`, '']);
  return rows;
}

export function formatTable(summary) {
  const { sections: s } = summary;
  const rows = [];
  if (s.billing) rows.push(...billingRows(s.billing));
  if (s.api) rows.push(...apiRows(s.api));
  if (s.page) rows.push(...pageRows(s.page, s.api));
  if (s.checkoutPage) rows.push(...pageRows(s.checkoutPage, s.api));
  if (s.idle) rows.push(...idleRows(s.idle, summary.parameters.engine, summary.parameters.workerMaxCachedWorkflows));
  if (s.history) rows.push(...historyRows(s.history));
  if (s.hot) rows.push(...hotRows(s.hot));
  const cells = rows.map((r) => (Array.isArray(r) ? r : ['', r.measured, r.baseline, r.baseline ? 'ratio' : '']));
  const widths = [0, 1, 2, 3].map((col) => Math.max(...cells.map((c) => String(c[col]).length)));
  const line = (c) => '  ' + c.map((cell, col) => String(cell).padEnd(widths[col])).join('   ').trimEnd();
  const out = [
    `Billing orchestrator bench, ${summary.startedAt}${summary.parameters.quick ? ' (--quick)' : ''}, `
      + `${summary.parameters.engine === 'server' ? 'Temporal server on PostgreSQL' : 'Temporal dev server on SQLite'}, ${summary.parameters.workers ?? 1} worker(s): ` +
      `${summary.machine.cpus} CPUs, Node ${summary.machine.node}, load average ${summary.machine.loadAverage.join(' ')} at start`,
  ];
  rows.forEach((r, i) => {
    if (Array.isArray(r)) out.push(line(r));
    else out.push('', r.title, ...(r.measured ? [line(cells[i])] : []));
  });
  out.push('', 'Ratio = measured ÷ baseline: above 1 costs more or takes longer; for rates (per second), below 1 is slower.');
  if (summary.warnings.length) out.push('', ...summary.warnings.map((w) => `WARNING: ${w}`));
  return out.join('\n');
}
