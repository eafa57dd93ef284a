// API probes for the fault scenarios: routes polled while PostgreSQL or Temporal is down, each of which
// must answer 503 (never a 500), and how soon each recovers once the part is back.
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const seconds = (ms) => Math.round(ms / 100) / 10;

/**
 * Routes polled while PostgreSQL or Temporal is down: each must answer 503 (never a 500) within
 * this long. The database routes answer at once. A Temporal call first waits out the client's own
 * gRPC retries (about 20 s), and creating a subscription then waits up to 10 s more for the
 * workflow's first state write, so those get longer; their slowest answer is reported.
 */
export const POSTGRES_PROBE_TIMEOUT_MS = 10_000;
export const TEMPORAL_PROBE_TIMEOUT_MS = 60_000;
export const postgresProbes = (subscriptionId) => [
  ['GET /v1/subscriptions/:id', 'GET', `/v1/subscriptions/${subscriptionId}`],
  ['GET /v1/invoices?subscription=', 'GET', `/v1/invoices?subscription=${subscriptionId}&limit=10`],
  ['GET /v1/customers', 'GET', '/v1/customers?limit=10'],
  ['POST /v1/customers', 'POST', '/v1/customers', { email: 'outage@example.com', name: 'Outage probe', currency: 'usd' }],
  // An unknown id: 503 while the database is down, 404 once it is back (nothing gets paused).
  ['POST /v1/subscriptions/:id/pause', 'POST', '/v1/subscriptions/sub_chaos_probe_missing/pause'],
  ['GET /readyz', 'GET', '/readyz'],
];

/**
 * Routes polled while Temporal is down: the ones that talk to it. The pause goes to a probe
 * subscription outside the counted run (after recovery it answers 200, then 409 "already paused").
 */
export const temporalProbes = ({ probeSubscriptionId, probeCustomerId, priceId }) => [
  ['POST /v1/subscriptions', 'POST', '/v1/subscriptions', { customer: probeCustomerId, price: priceId, start_date: new Date(Date.now() + 3_600_000).toISOString() }],
  ['POST /v1/subscriptions/:id/pause', 'POST', `/v1/subscriptions/${probeSubscriptionId}/pause`],
  ['GET /readyz', 'GET', '/readyz'],
];

/** A customer and a subscription (not due for an hour) outside the counted run, for API probes. */
export async function createProbeSubscription(stack, { priceId }) {
  const customer = await stack.call('POST', '/v1/customers', { email: 'probe@example.com', name: 'Chaos probe', currency: 'usd', default_payment_method: 'pm_card_visa' });
  const subscription = await stack.call('POST', '/v1/subscriptions', {
    customer: customer.body.id,
    price: priceId,
    start_date: new Date(Date.now() + 3_600_000).toISOString(),
  });
  if (subscription.status !== 200) throw new Error(`probe subscription: ${subscription.status} ${JSON.stringify(subscription.body)}`);
  return { probeCustomerId: customer.body.id, probeSubscriptionId: subscription.body.id, priceId };
}

/**
 * Polls every probe route in its own loop until `finish()`, which waits (up to 2 min after the
 * dependency is back) for each route to answer like a healthy API again, then judges the answers:
 * while the dependency was down, a 500 (any 5xx but 503) or no answer within `timeoutMs` fails.
 */
export function startProbing(stack, probes, { intervalMs, timeoutMs }) {
  const answers = [];
  let polling = true;
  const loops = probes.map(async ([label, method, path, body]) => {
    while (polling) {
      answers.push({ label, ...(await probe(stack, method, path, body, timeoutMs)) });
      await sleep(intervalMs);
    }
  });
  const healthy = (a) => typeof a.status === 'number' && a.status < 500;
  /** Statuses of the requests in flight at some point in [from, to), per route. */
  const histogram = (from, to) => {
    const byRoute = {};
    for (const a of answers) {
      if (a.sentAt >= to || a.sentAt + a.ms < from) continue;
      byRoute[a.label] ??= {};
      byRoute[a.label][a.status] = (byRoute[a.label][a.status] ?? 0) + 1;
    }
    return byRoute;
  };
  const slowest = (from, to) => {
    const byRoute = {};
    for (const a of answers) {
      if (a.sentAt >= to || a.sentAt + a.ms < from) continue;
      byRoute[a.label] = Math.max(byRoute[a.label] ?? 0, seconds(a.ms));
    }
    return byRoute;
  };
  return {
    async finish({ downAt, restartAt, upAt, what }) {
      const recoveredAt = {};
      const deadline = upAt + 120_000;
      while (Date.now() < deadline) {
        for (const a of answers) if (a.sentAt >= upAt && healthy(a) && !(a.label in recoveredAt)) recoveredAt[a.label] = a.sentAt;
        if (probes.every(([label]) => label in recoveredAt)) break;
        await sleep(250);
      }
      polling = false;
      await Promise.all(loops);

      // Requests in flight while it was down for sure: after the stop completed, before the restart began.
      const outage = histogram(downAt, restartAt);
      const failures = [];
      for (const [route, statuses] of Object.entries(outage)) {
        for (const [status, n] of Object.entries(statuses)) {
          if (status === '503') continue;
          if (status === 'timeout' || status === 'no-answer' || Number(status) >= 500) {
            failures.push(`${route} answered ${status} ${n} time(s) while ${what} was down (expected 503)`);
          }
        }
      }
      const missing = probes.map(([label]) => label).filter((label) => !(label in recoveredAt));
      if (missing.length) failures.push(`the API did not recover within 2 min after ${what} was back on: ${missing.join(', ')}`);
      const apiRecoverySeconds = missing.length ? null : seconds(Math.max(...Object.values(recoveredAt)) - upAt);
      return {
        failures,
        apiRecoverySeconds,
        details: {
          apiStatusesDuringOutage: outage,
          apiSlowestSecondsDuringOutage: slowest(downAt, restartAt),
          apiStatusesWhileRecovering: histogram(restartAt, deadline),
          apiRecoverySeconds,
        },
      };
    },
  };
}

async function probe(stack, method, path, body, timeoutMs) {
  const sentAt = Date.now();
  try {
    const response = await fetch(stack.apiUrl + path, {
      method,
      headers: { authorization: `Bearer ${stack.adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return { sentAt, ms: Date.now() - sentAt, status: response.status };
  } catch (error) {
    return { sentAt, ms: Date.now() - sentAt, status: error.name === 'TimeoutError' ? 'timeout' : 'no-answer' };
  }
}
