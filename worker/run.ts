/**
 * The worker process body: connects to Temporal and PostgreSQL, runs until SIGINT/SIGTERM, then
 * drains. `worker/main.ts` runs it as is; other entries (the fault-injection worker in
 * `bench/chaos/worker.ts`) run the same worker with a decorated payment gateway.
 */
import { NativeConnection } from '@temporalio/worker';
import { bundleWorkflows, routeTemporalLogs } from './logging';
import type { Logger } from 'pino';
import { loadConfig, requireLinkSigningSecret, type AppConfig } from '../config';
import { createLogger } from '../logger';
import { openDatabase } from '../db/orm';
import type { PaymentGateway } from '../activities/payments/gateway';
import { createBillingWorker } from './billing-worker';
import { selectGateway, selectMailer } from './adapters';

export interface RunWorkerOptions {
  /**
   * Wraps the gateway `selectGateway` chose (sandbox or Stripe) before the activities get it: for
   * fault injection and request recording. Omitted, the activities use the gateway unchanged.
   */
  decorateGateway?: (gateway: PaymentGateway, context: { config: AppConfig; log: Logger }) => PaymentGateway;
}

/** Resolves once the worker has stopped (after a signal) and its connections are closed. */
export async function runWorker(options: RunWorkerOptions = {}): Promise<void> {
  const config = loadConfig();
  const linkSigningSecret = requireLinkSigningSecret(config);
  const log = createLogger('worker', config.logLevel);

  routeTemporalLogs(log);

  const workflowBundle = await bundleWorkflows(require.resolve('../workflows'), log);

  const orm = await openDatabase(config.databaseUrl);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const gateway = selectGateway(config, orm, log);
  const worker = await createBillingWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    maxCachedWorkflows: config.temporal.maxCachedWorkflows,
    workflowBundle,
    deps: {
      orm,
      gateway: options.decorateGateway ? options.decorateGateway(gateway, { config, log }) : gateway,
      mailer: selectMailer(config, log),
      log,
      emailFrom: config.emailFrom,
      publicUrl: config.api.publicUrl,
      portalUrl: config.api.portalUrl,
      linkSigningSecret,
      invoiceNumberPrefix: config.invoiceNumberPrefix,
      dunningPolicy: config.dunningPolicy,
      invoiceNumberPadding: config.invoiceNumberPadding,
    },
  });
  log.info({ taskQueue: config.temporal.taskQueue, temporal: config.temporal.address }, 'worker started');

  // Worker.run() handles SIGINT/SIGTERM itself: it stops polling and waits for in-flight tasks.
  try {
    await worker.run();
  } finally {
    await connection.close();
    await orm.close(true);
    log.info('worker stopped');
  }
}
