/**
 * The worker stops while changes to one subscription are in flight, and a new one starts later. A
 * change that was sent but not answered in time is answered 202 (pending), never 503; every caller
 * that retries with its Idempotency-Key learns the change's real outcome once a worker runs again, and
 * the applied changes are exactly those answered 200 (pauses and resumes alternate, the final state is
 * the last one's). With Temporal itself unreachable, the change could not be sent: that, and only
 * that, is a 503.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { buildApp } from '../../api/app';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { startWorker, testBillingWorker, type RunningWorker } from '../support/billing-worker';
import { eventually } from '../support/eventually';
import { appliedCounts, hotEntityStorm } from '../support/hot-entity-clients';
import { requireEnv } from '../support/env';
import { TEST_RATE_LIMITS } from '../support/rate-limits';

let api: ApiHarness;
let app: FastifyInstance;
let connection: NativeConnection;
const taskQueue = `worker-lost-${randomUUID()}`;
const workers: RunningWorker[] = [];
/** The subscription the first test leaves behind, for the second. */
let lastSubscriptionId: string;

const startBillingWorker = async (): Promise<RunningWorker> => {
  const running = startWorker(await testBillingWorker({ connection, taskQueue, orm: api.orm }));
  workers.push(running);
  return running;
};

beforeAll(async () => {
  api = await startApiHarness();
  connection = await NativeConnection.connect({ address: requireEnv('TEMPORAL_ADDRESS') });
  // A short answer deadline, so changes caught without a worker are answered (202) while it is down.
  app = await buildApp({ orm: api.orm, temporal: api.temporal, taskQueue, logger: pino({ level: 'silent' }), rateLimits: TEST_RATE_LIMITS, workflowAnswerTimeoutMs: 2_000 });
});
afterAll(async () => {
  for (const w of workers) await w.stop();
  await app?.close();
  await connection?.close();
  await api?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('changes in flight when the worker stops are answered pending, and a retry with the key learns each outcome', async () => {
  const first = await startBillingWorker();
  // The harness's helpers, pointed at this file's app (same database, same API keys).
  const through = { ...api, app, call: callThrough(app, api.keys) } as ApiHarness;
  const product = (await through.call('admin', 'POST', '/v1/products', { name: 'Lost worker' })).body.id;
  const price = (await through.call('admin', 'POST', '/v1/prices', { product, currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' } })).body.id;
  const cus = (await through.call('sales', 'POST', '/v1/customers', { email: `lost-${randomUUID()}@example.com`, name: 'Lost', currency: 'usd', default_payment_method: 'pm_card_visa' })).body.id;
  const created = await through.call('sales', 'POST', '/v1/subscriptions', { customer: cus, price });
  const sub = await eventually(async () => {
    const s = await through.call('operator', 'GET', `/v1/subscriptions/${created.body.id}`);
    expect(s.body.current_period?.index).toBe(0);
    return s.body;
  });

  const storm = hotEntityStorm(through, `/v1/subscriptions/${sub.id}`, ['pause', 'resume'], 60, 6);
  await sleep(300);
  await first.stop();
  // Long enough for every change waiting on the stopped worker to pass its answer deadline.
  await sleep(5_000);
  await startBillingWorker();
  const outcomes = await storm;

  expect(outcomes).toHaveLength(60);
  expect(outcomes.filter((o) => o.status !== 200 && !(o.status === 409 && o.code !== 'lock_timeout'))).toEqual([]);
  // Some changes were caught by the stop and answered pending before their outcome.
  expect(outcomes.some((o) => o.interim.includes(202))).toBe(true);
  const { pause = 0, resume = 0 } = appliedCounts(outcomes);
  expect(pause - resume).toBeGreaterThanOrEqual(0);
  expect(pause - resume).toBeLessThanOrEqual(1);
  const final = await through.call('operator', 'GET', `/v1/subscriptions/${sub.id}`);
  expect(final.body.status).toBe(pause > resume ? 'paused' : 'active');
  lastSubscriptionId = sub.id;
});

test('with Temporal unreachable a change is a 503: it could not be sent, and nothing applies later', async () => {
  const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const cut = await buildApp({ orm: api.orm, temporal: unreachable, taskQueue, logger: pino({ level: 'silent' }), rateLimits: TEST_RATE_LIMITS, workflowAnswerTimeoutMs: 1_000 });
  try {
    const before = await callThrough(app, api.keys)('operator', 'GET', `/v1/subscriptions/${lastSubscriptionId}`);
    const action = before.body.status === 'paused' ? 'resume' : 'pause';
    const res = await callThrough(cut, api.keys)('operator', 'POST', `/v1/subscriptions/${lastSubscriptionId}/${action}`, {});
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('service_unavailable');
    await sleep(1_000);
    expect((await callThrough(app, api.keys)('operator', 'GET', `/v1/subscriptions/${lastSubscriptionId}`)).body.status).toBe(before.body.status);
  } finally {
    await cut.close();
    await unreachable.connection.close();
  }
});

function callThrough(target: FastifyInstance, keys: ApiHarness['keys']): ApiHarness['call'] {
  return async (role, method, url, body, headers = {}) => {
    const response = await target.inject({
      method,
      url,
      headers: { ...(role ? { authorization: `Bearer ${keys[role]}` } : {}), ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null, headers: response.headers };
  };
}
