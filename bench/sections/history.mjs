// History size: the subscription workflow's events per billing period and its longest run, measured
// on the time-skipping test server (bench/history/measure.ts) against the stack's PostgreSQL. Its
// activity counts also tell the engine baseline how many no-op activities to run.
import { ensureTools } from '../../scripts/lib/tools.mjs';
import { runTsJson } from '../lib/ts-json.mjs';

export async function measureHistory(stack, { log }) {
  const tools = await ensureTools({ log });
  log('history: running a subscription to its first continue-as-new on the time-skipping server');
  const started = Date.now();
  const result = await runTsJson('bench/history/measure.ts', {
    ...stack.appEnv(),
    TEMPORAL_TEST_SERVER_PATH: tools.temporalTestServer,
  });
  return { ...result, seconds: Math.round((Date.now() - started) / 100) / 10 };
}
