import { bundleWorkflowCode, type WorkflowBundleWithSourceMap, type NativeConnection, type Worker } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import { createBillingWorker } from '../../worker/billing-worker';
import { SandboxGateway } from '../../activities/payments/sandbox-gateway';
import { PostgresSandboxLedger } from '../../activities/payments/sandbox-ledger';
import { OutboxMailer } from '../../activities/email/outbox-mailer';
import type { PaymentGateway } from '../../activities/payments/gateway';
import type { Mailer } from '../../activities/email/mailer';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundling the workflows takes seconds; do it once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietBundlerLogger });
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
}): Promise<Worker> {
  return createBillingWorker({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(),
    deps: {
      orm: opts.orm,
      gateway: opts.gateway ?? new SandboxGateway(new PostgresSandboxLedger(opts.orm)),
      mailer: opts.mailer ?? new OutboxMailer(),
      log: pino({ level: 'silent' }),
      emailFrom: 'Billing <billing@example.com>',
      publicUrl: 'http://localhost:3000',
      invoiceNumberPrefix: opts.invoiceNumberPrefix ?? 'TEST-',
    },
  });
}
