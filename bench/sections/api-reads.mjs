// API reads under a fixed-concurrency load (autocannon): GET /v1/subscriptions/:id and a filtered
// list, each against a bare Fastify process answering the same bytes (bench/baseline/bare-api.ts),
// and GET by id also against bare Fastify running the same SQL through `pg`
// (bench/baseline/bare-pg-api.ts), all started with the API's settings. Real and baselines alternate
// route by route, each after a short warm-up.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { findFreePort, waitForPort } from '../../scripts/lib/ports.mjs';
import { stopChild } from '../../scripts/lib/proc.mjs';
import { cpuBetween, readCpu } from '../lib/cpu-usage.mjs';

export const WARMUP_SECONDS = 0.5;

const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * One load run. Latencies come from autocannon's per-response event (float milliseconds) rather than
 * its histogram, which keeps whole milliseconds only: too coarse for a sub-millisecond bare route.
 */
export async function load({ url, headers, connections, duration }) {
  const latencies = [];
  const instance = autocannon({ url, headers, connections, duration });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const seconds = (result.finish - result.start) / 1000 || result.duration;
  return {
    p50Ms: round(percentile(latencies, 50), 3),
    p99Ms: round(percentile(latencies, 99), 3),
    requestsPerSecond: round(latencies.length / seconds, 1),
    requests: latencies.length,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** CPU milliseconds per request of the serving process (and of PostgreSQL) over a load run. */
export function cpuPerRequest(cpu, server, requests) {
  const perRequest = (seconds) => (requests ? round((seconds * 1000) / requests, 3) : null);
  return { server: perRequest(cpu.cpuSeconds[server]), postgres: perRequest(cpu.cpuSeconds.postgres) };
}

async function measureRoute(label, path, { api, bare, barePg, headers, connections, duration, cpuOf, log }) {
  const results = {};
  const targets = [['api', api], ...(barePg ? [['barePg', barePg]] : []), ['bare', bare]];
  for (const [name, base] of targets) {
    await load({ url: base + path, headers, connections, duration: WARMUP_SECONDS });
    const before = await cpuOf();
    results[name] = await load({ url: base + path, headers, connections, duration });
    results[name].cpuMsPerRequest = cpuPerRequest(cpuBetween(before, await cpuOf()), name, results[name].requests);
    log(`api: ${name} ${label}: p50 ${results[name].p50Ms} ms, p99 ${results[name].p99Ms} ms, ${results[name].requestsPerSecond} req/s`);
  }
  const ratioTo = (baseline) => ({
    p50: round(results.api.p50Ms / baseline.p50Ms),
    p99: round(results.api.p99Ms / baseline.p99Ms),
    requestsPerSecond: round(results.api.requestsPerSecond / baseline.requestsPerSecond, 3),
  });
  return {
    route: label,
    path,
    api: results.api,
    baseline: results.bare,
    ratio: ratioTo(results.bare),
    ...(results.barePg ? { pgBaseline: results.barePg, pgRatio: ratioTo(results.barePg) } : {}),
  };
}

export async function measureApiReads(stack, { subscriptionId, connections, duration, log }) {
  const byIdPath = `/v1/subscriptions/${subscriptionId}`;
  const listPath = '/v1/subscriptions?status=active&limit=10';
  const byId = await stack.call('GET', byIdPath);
  const list = await stack.call('GET', listPath);
  if (byId.status !== 200 || list.status !== 200) throw new Error(`API reads answered ${byId.status} and ${list.status}`);

  const payloadFile = join(stack.dir, 'bare-api-payloads.json');
  await writeFile(payloadFile, JSON.stringify({ byId: byId.body, list: list.body }));
  const startBaseline = async (name, file) => {
    const port = await findFreePort();
    const child = await stack.spawnApp(name, file,
      () => waitForPort(port, { timeoutMs: 500 }).then(() => true, () => false),
      { extraEnv: { PORT: String(port), BENCH_BARE_PAYLOADS: payloadFile } });
    return { child, url: `http://127.0.0.1:${port}` };
  };
  const bare = await startBaseline('bare api', 'bench/baseline/bare-api.ts');
  let barePg;
  try {
    barePg = await startBaseline('bare pg api', 'bench/baseline/bare-pg-api.ts');
    const options = {
      api: stack.apiUrl,
      bare: bare.url,
      headers: { authorization: `Bearer ${stack.adminKey}` },
      connections,
      duration,
      cpuOf: () => readCpu(stack, { bare: bare.child.pid, barePg: barePg.child.pid }),
      log,
    };
    return {
      connections,
      durationSeconds: duration,
      byId: await measureRoute('GET /v1/subscriptions/:id', byIdPath, { ...options, barePg: barePg.url }),
      list: { ...(await measureRoute(`GET ${listPath}`, listPath, options)), rowsPerPage: list.body.data.length },
    };
  } finally {
    await stopChild(bare.child, { graceMs: 5_000 });
    if (barePg) await stopChild(barePg.child, { graceMs: 5_000 });
  }
}
