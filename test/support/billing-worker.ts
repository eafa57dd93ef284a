import { Worker, bundleWorkflowCode, type WorkflowBundleOption, type NativeConnection } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import { createBillingWorker } from '../../worker/billing-worker';
import { SandboxGateway } from '../../activities/payments/sandbox-gateway';
import { PostgresSandboxLedger } from '../../activities/payments/sandbox-ledger';
import { OutboxMailer } from '../../activities/email/outbox-mailer';
import type { PaymentGateway } from '../../activities/payments/gateway';
import type { Mailer } from '../../activities/email/mailer';

/** The public base URL and link signing secret the test API and worker share, so emailed invoice links open in the API. */
export const TEST_PUBLIC_URL = 'http://localhost:3000';
export const TEST_LINK_SIGNING_SECRET = 'test-link-signing-secret-not-for-production-0123456789';

let bundle: Promise<WorkflowBundleOption> | undefined;

/**
 * The workflows as workers load them. Jest's global setup bundles them once for the whole run
 * (test/support/workflow-bundle.mjs) and passes the file's path; outside it, bundle once per test file.
 */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  const codePath = process.env.BILLING_TEST_WORKFLOW_BUNDLE;
  bundle ??= codePath
    ? Promise.resolve({ codePath })
    : bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietBundlerLogger });
  return bundle;
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/** The real worker, with the sandbox gateway and the outbox mailer (the embedded defaults). */
export async function testBillingWorker(opts: {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  orm: MikroORM;
  gateway?: PaymentGateway;
  /** Default the outbox mailer; a CapturingMailer to read what was delivered (a quote link's real token). */
  mailer?: Mailer;
  /** Give each test its own prefix to check numbering without other tests' invoices interleaving. */
  invoiceNumberPrefix?: string;
  /** Where links in emails point (the page tests' own server); default TEST_PUBLIC_URL. */
  publicUrl?: string;
  /** WORKER_MAX_CACHED_WORKFLOWS; default the SDK's own. */
  maxCachedWorkflows?: number;
}): Promise<Worker> {
  return createBillingWorker({
    connection: opts.connection,
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(),
    deps: {
      orm: opts.orm,
      gateway: opts.gateway ?? new SandboxGateway(new PostgresSandboxLedger(opts.orm)),
      mailer: opts.mailer ?? new OutboxMailer(),
      log: pino({ level: 'silent' }),
      emailFrom: 'Billing <billing@example.com>',
      publicUrl: opts.publicUrl ?? TEST_PUBLIC_URL,
      portalUrl: `${opts.publicUrl ?? TEST_PUBLIC_URL}/portal`,
      linkSigningSecret: TEST_LINK_SIGNING_SECRET,
      invoiceNumberPrefix: opts.invoiceNumberPrefix ?? 'TEST-',
    },
  });
}

/** A worker running in the background until `stop`, which shuts it down and waits for it to drain. */
export interface RunningWorker {
  worker: Worker;
  stop: () => Promise<void>;
}

export function startWorker(worker: Worker): RunningWorker {
  const running = worker.run();
  return {
    worker,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** The billing workflows with the given activities in place of the real ones (no database, no gateway). */
export async function mockedActivitiesWorker(opts: {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  activities: object;
}): Promise<RunningWorker> {
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: opts.activities,
  });
  return startWorker(worker);
}
