import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { openDatabase, type MikroORM } from '../../db/orm';
import { buildApp, type AppDeps } from '../../api/app';
import { issueApiKey } from '../../services/access/api-keys';
import type { ApiKeyRole } from '../../db/entities';
import { requireEnv } from './env';
import { TEST_LINK_SIGNING_SECRET, TEST_PUBLIC_URL, testBillingWorker } from './billing-worker';
import { CapturingMailer } from './capturing-mailer';
import { quietTemporalLogs } from './temporal-env';
import { TEST_RATE_LIMITS } from './rate-limits';

export interface ApiHarness {
  app: FastifyInstance;
  orm: MikroORM;
  temporal: Client;
  /** The task queue this file's worker polls (to start workflows directly). */
  taskQueue: string;
  keys: Record<ApiKeyRole, string>;
  /** What the worker's mailer delivered (the outbox keeps credentials redacted; the delivered email has them). */
  mailer: CapturingMailer;
  /** `app.inject` with a role's key and JSON body. */
  call(role: ApiKeyRole | null, method: 'GET' | 'POST', url: string, body?: unknown, headers?: Record<string, string>): Promise<{
    status: number;
    body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions read arbitrary JSON
    headers: Record<string, unknown>;
  }>;
  close(): Promise<void>;
}

/**
 * The API as `npm start` runs it: real PostgreSQL, the Temporal dev server from the global setup and
 * the real billing worker (sandbox gateway, outbox mailer) on a task queue of this test file's own.
 */
export async function startApiHarness({
  workflowAnswerTimeoutMs,
  cancellationRequests,
  publicUrl,
  temporalAddress,
  app: appDeps = {},
}: {
  workflowAnswerTimeoutMs?: number;
  cancellationRequests?: 'approval' | 'immediate';
  /** PUBLIC_URL for the app and the worker's email links (the page tests serve on a real port). */
  publicUrl?: string;
  /** A Temporal server of the test's own (one with settings of its own); otherwise the shared TEMPORAL_ADDRESS. */
  temporalAddress?: string;
  /** More of buildApp's deps (a page area's settings, another card entry). */
  app?: Partial<AppDeps>;
} = {}): Promise<ApiHarness> {
  quietTemporalLogs();
  const taskQueue = `api-test-${randomUUID()}`;
  const orm = await openDatabase(requireEnv('DATABASE_URL'));
  const address = temporalAddress ?? requireEnv('TEMPORAL_ADDRESS');
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection, namespace: 'default' });
  const workerConnection = await NativeConnection.connect({ address });
  const mailer = new CapturingMailer();
  const worker: Worker = await testBillingWorker({ connection: workerConnection, taskQueue, orm, mailer, publicUrl });
  const workerRun = worker.run();
  const app = await buildApp({
    orm,
    temporal,
    taskQueue,
    logger: pino({ level: process.env.TEST_API_LOG ?? 'silent' }),
    workflowAnswerTimeoutMs,
    cancellationRequests,
    rateLimits: TEST_RATE_LIMITS,
    publicUrl: publicUrl ?? TEST_PUBLIC_URL,
    linkSigningSecret: TEST_LINK_SIGNING_SECRET,
    ...appDeps,
  });

  const keys = {} as Record<ApiKeyRole, string>;
  for (const role of ['admin', 'operator', 'sales'] as const) {
    keys[role] = (await issueApiKey(orm.em.fork(), `${role} (test)`, role)).secret;
  }

  return {
    app,
    orm,
    temporal,
    taskQueue,
    keys,
    mailer,
    async call(role, method, url, body, headers = {}) {
      const response = await app.inject({
        method,
        url,
        headers: { ...(role ? { authorization: `Bearer ${keys[role]}` } : {}), ...headers },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      const text = response.body;
      return { status: response.statusCode, body: text ? JSON.parse(text) : null, headers: response.headers };
    },
    async close() {
      await app.close();
      worker.shutdown();
      await workerRun;
      await workerConnection.close();
      await connection.close();
      await orm.close(true);
    },
  };
}
