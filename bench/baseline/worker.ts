/**
 * The engine baseline's worker process. It is started like the billing worker (`node --import tsx`,
 * same environment, same Temporal server) and set up like it: the same runtime logger, a prebuilt
 * workflow bundle, and the Worker options of worker/billing-worker.ts (SDK defaults plus the same
 * workflow cache size and shutdown grace), on its own task queue (TEMPORAL_TASK_QUEUE, set by the bench). What differs is
 * only what the benchmark compares: no-op activities instead of the billing ones, and no database.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { bundleWorkflows, routeTemporalLogs } from '../../worker/logging';
import { loadConfig } from '../../config';
import { createLogger } from '../../logger';
import { baselineActivities } from './activities';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('bench-baseline-worker', config.logLevel);
  routeTemporalLogs(log);

  const workflowBundle = await bundleWorkflows(require.resolve('./workflows'), log);

  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: baselineActivities,
    workflowBundle,
    maxCachedWorkflows: config.temporal.maxCachedWorkflows,
    shutdownGraceTime: '20 seconds',
  });
  // The same readiness line as the billing worker: the bench waits for it.
  log.info({ taskQueue: config.temporal.taskQueue, temporal: config.temporal.address }, 'worker started');
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
