// The workflow bundle for a whole Jest run, built once in the global setup. Bundling the workflows
// with webpack takes seconds of CPU; built in every test file that starts a worker (about forty),
// it cost more than a minute of a full run on 2 cores. Test files load it from the path in
// BILLING_TEST_WORKFLOW_BUNDLE (test/support/billing-worker.ts), so every worker runs the same code.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ROOT } from '../../scripts/lib/tools.mjs';

export const WORKFLOW_BUNDLE_ENV = 'BILLING_TEST_WORKFLOW_BUNDLE';

const quiet = () => undefined;

/** Bundles `workflows/` into a temp file; `stop` removes it. */
export async function bundleWorkflowsOnce({ log }) {
  const dir = await mkdtemp(join(tmpdir(), 'billing-test-workflows-'));
  try {
    const bundle = await bundleWorkflowCode({
      workflowsPath: join(ROOT, 'workflows', 'index.ts'),
      logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: (message) => log(message), error: (message) => log(message) },
    });
    const codePath = join(dir, 'workflow-bundle.js');
    await writeFile(codePath, bundle.code);
    return { codePath, stop: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
