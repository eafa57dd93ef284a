// `npm run tools`: installs (or finds) the Temporal CLI, the Temporal test server and stripe-mock,
// then prints their paths, e.g. to export them as TEMPORAL_CLI_PATH & co. in a shell.
import { ensureTools } from './lib/tools.mjs';

try {
  const started = Date.now();
  const tools = await ensureTools();
  console.log(`TEMPORAL_CLI_PATH=${tools.temporalCli}`);
  console.log(`TEMPORAL_TEST_SERVER_PATH=${tools.temporalTestServer}`);
  console.log(`STRIPE_MOCK_PATH=${tools.stripeMock}`);
  console.error(`[tools] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`[tools] ${error.message}`);
  process.exitCode = 1;
}
