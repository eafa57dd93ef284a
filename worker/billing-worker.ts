import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/deps';
import { createActivities } from '../activities';

export interface BillingWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Workflows kept in memory between tasks (WORKER_MAX_CACHED_WORKFLOWS); the SDK's heap-sized default when omitted. */
  maxCachedWorkflows?: number;
  /** A prebuilt bundle (tests build it once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
}

/** The worker that runs the billing workflows and their activities on one task queue. */
export async function createBillingWorker(options: BillingWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.deps),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    // Let in-flight activities (a charge, an email) finish on shutdown instead of being cut off.
    shutdownGraceTime: '20 seconds',
  });
}
