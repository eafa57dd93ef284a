/**
 * The engine baseline's worker process. It is started like the billing worker (`node --import tsx`,
 * same environment, same Temporal server) and set up like it: the same runtime logger, a prebuilt
 * workflow bundle, and the Worker options of worker/billing-worker.ts (SDK defaults plus the same
 * shutdown grace), on its own task queue (TEMPORAL_TASK_QUEUE, set by the bench). What differs is
 * only what the benchmark compares: no-op activities instead of the billing ones, and no database.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode, type LogLevel } from '@temporalio/worker';
import { loadConfig } from '../../config';
import { createLogger } from '../../logger';
import { baselineActivities } from './activities';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('bench-baseline-worker', config.logLevel);
  const temporalLog = log.child({ component: 'temporal' });
  Runtime.install({
    logger: new DefaultLogger('INFO', ({ level, message, meta }) => temporalLog[PINO_LEVEL[level]](meta ?? {}, message)),
  });

  const bundlerLog = log.child({ component: 'bundler' });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    logger: {
      trace: (message, meta) => bundlerLog.trace(meta ?? {}, message),
      debug: (message, meta) => bundlerLog.debug(meta ?? {}, message),
      info: (message, meta) => bundlerLog.debug(meta ?? {}, message),
      warn: (message, meta) => bundlerLog.warn(meta ?? {}, message),
      error: (message, meta) => bundlerLog.error(meta ?? {}, message),
      log: (level, message, meta) => bundlerLog.debug({ ...meta, level }, message),
    },
  });

  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: baselineActivities,
    workflowBundle,
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
