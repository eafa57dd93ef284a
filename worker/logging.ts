import { DefaultLogger, Runtime, bundleWorkflowCode, type LogLevel, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Logger } from 'pino';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Temporal's own logs (worker lifecycle, workflow `log` calls) go through the process's pino logger. */
export function routeTemporalLogs(log: Logger): void {
  const temporalLog = log.child({ component: 'temporal' });
  Runtime.install({
    logger: new DefaultLogger('INFO', ({ level, message, meta }) => temporalLog[PINO_LEVEL[level]](meta ?? {}, message)),
  });
}

/** Bundles the workflows at `workflowsPath`; webpack's build report is demoted from info to debug. */
export function bundleWorkflows(workflowsPath: string, log: Logger): Promise<WorkflowBundleWithSourceMap> {
  const bundlerLog = log.child({ component: 'bundler' });
  return bundleWorkflowCode({
    workflowsPath,
    logger: {
      trace: (message, meta) => bundlerLog.trace(meta ?? {}, message),
      debug: (message, meta) => bundlerLog.debug(meta ?? {}, message),
      info: (message, meta) => bundlerLog.debug(meta ?? {}, message),
      warn: (message, meta) => bundlerLog.warn(meta ?? {}, message),
      error: (message, meta) => bundlerLog.error(meta ?? {}, message),
      log: (level, message, meta) => bundlerLog.debug({ ...meta, level }, message),
    },
  });
}
