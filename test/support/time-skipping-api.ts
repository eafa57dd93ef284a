/**
 * The API (buildApp) on Temporal's time-skipping test server, with the real billing worker and
 * PostgreSQL: requests go through the real routes while days of billing pass in seconds
 * (`api.env.sleep('1 day')`). Rejected workflow updates belong on the dev server
 * (test/support/api-harness.ts): the time-skipping server answers them with "update not found".
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { openDatabase, type MikroORM } from '../../db/orm';
import { buildApp } from '../../api/app';
import { issueApiKey } from '../../services/access/api-keys';
import type { ApiKeyRole } from '../../db/entities';
import { requireEnv } from './env';
import { eventually } from './eventually';
import { testBillingWorker } from './billing-worker';
import { createTimeSkippingEnv } from './temporal-env';
import { TEST_RATE_LIMITS } from './rate-limits';
import { workflowHistoryTail, workflowIdOfChangeUrl } from './workflow-history-tail';

type Method = 'GET' | 'POST' | 'DELETE';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read arbitrary JSON
type Json = any;

export interface TimeSkippingApi {
  env: TestWorkflowEnvironment;
  orm: MikroORM;
  app: FastifyInstance;
  taskQueue: string;
  call(role: ApiKeyRole, method: Method, url: string, body?: unknown): Promise<{ status: number; body: Json }>;
  /** `call` that expects a 200 and returns the body. */
  ok(role: ApiKeyRole, method: Method, url: string, body?: unknown): Promise<Json>;
  /** A product with one daily price: a billing period per day of skipped time. */
  dailyPrice(unitAmount: number, currency?: string): Promise<string>;
  /**
   * A start date for a new subscription. Sleeping moves the test server's clock (workflow time) ahead of
   * the API's, and the API refuses start dates in the past: starting at the later of the two keeps the
   * workflow from finding past periods to catch up on.
   */
  startDate(): Promise<string>;
  /** A customer with a card that pays. */
  customer(): Promise<string>;
  /** The invoice of period `index`, with its lines, once the workflow has created it. */
  periodInvoice(subscription: string, index: number, status?: string): Promise<Json>;
  /** Waits until the workflow has recorded that `billedIndex` is the current period. */
  nextPeriodRecorded(subscription: string, billedIndex: number): Promise<Json>;
  close(): Promise<void>;
}

/**
 * How long a change waits for the workflow's answer. CI once saw a cancel go unanswered for the API's
 * default 10 s while the machine ran the fault injection beside two Jest workers; these tests check
 * what a change does, not how fast, and a change still unanswered after this names its history.
 */
const ANSWER_TIMEOUT_MS = 30_000;

export async function startTimeSkippingApi(name: string): Promise<TimeSkippingApi> {
  const taskQueue = `${name}-${randomUUID()}`;
  const env = await createTimeSkippingEnv();
  const orm = await openDatabase(requireEnv('DATABASE_URL'));
  const worker: Worker = await testBillingWorker({ connection: env.nativeConnection, taskQueue, orm });
  const workerRun = worker.run();
  const app = await buildApp({ orm, temporal: env.client, taskQueue, logger: pino({ level: 'silent' }), rateLimits: TEST_RATE_LIMITS, workflowAnswerTimeoutMs: ANSWER_TIMEOUT_MS });
  const keys = {} as Record<ApiKeyRole, string>;
  for (const role of ['admin', 'operator', 'sales'] as const) keys[role] = (await issueApiKey(orm.em.fork(), `${role} (test)`, role)).secret;

  const call: TimeSkippingApi['call'] = async (role, method, url, body) => {
    const response = await app.inject({ method, url, headers: { authorization: `Bearer ${keys[role]}` }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
  };
  const ok: TimeSkippingApi['ok'] = async (role, method, url, body) => {
    const res = await call(role, method, url, body);
    if (res.status === 202) {
      // A change sent but not answered in time: say what the workflow was doing.
      const workflowId = workflowIdOfChangeUrl(url);
      const history = workflowId ? await workflowHistoryTail(env.client, workflowId) : '';
      throw new Error(`${method} ${url}: 202 ${JSON.stringify(res.body)}\n${history}`);
    }
    if (res.status !== 200) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  return {
    env,
    orm,
    app,
    taskQueue,
    call,
    ok,
    async dailyPrice(unitAmount, currency = 'usd') {
      const product = await ok('admin', 'POST', '/v1/products', { name: 'Daily plan' });
      return (await ok('admin', 'POST', '/v1/prices', { product: product.id, currency, unit_amount: unitAmount, recurring: { interval: 'day' } })).id;
    },
    startDate: async () => new Date(Math.max(Date.now(), await env.currentTimeMs()) + 1_000).toISOString(),
    customer: async () =>
      (await ok('sales', 'POST', '/v1/customers', { email: `buyer-${randomUUID()}@example.com`, name: 'Buyer', currency: 'usd', default_payment_method: 'pm_card_visa' })).id,
    periodInvoice: (subscription, index, status) =>
      eventually(
        async () => {
          const list = await ok('operator', 'GET', `/v1/invoices?subscription=${subscription}&limit=100`);
          const summary = list.data.find((i: { period: { index: number } | null }) => i.period?.index === index);
          expect(summary).toBeDefined();
          if (status) expect(summary.status).toBe(status);
          return ok('operator', 'GET', `/v1/invoices/${summary.id}`);
        },
        { timeoutMs: 30_000 },
      ),
    nextPeriodRecorded: (subscription, billedIndex) =>
      eventually(
        async () => {
          const s = await ok('operator', 'GET', `/v1/subscriptions/${subscription}`);
          expect(s.current_period?.index).toBe(billedIndex);
          expect(s.next_billing_date).toBe(s.current_period.end);
          return s;
        },
        { timeoutMs: 30_000 },
      ),
    async close() {
      await app.close();
      worker.shutdown();
      await workerRun;
      await orm.close(true);
      await env.teardown();
    },
  };
}
