// `npm run fuzz [-- <jest args>]`: a long schemathesis run against the API. It runs the same Jest file
// as the short pass in `npm test` (test/api/fuzz.test.ts), so the stack is booted the same way (Jest's
// global setup: throwaway PostgreSQL and Temporal dev server; the test: real worker and the API on a
// free port), only with more examples, more checks and the stateful phase (sequences of calls that
// follow the links schemathesis infers between operations, e.g. create a subscription, then pause it).
//
// Every FUZZ_* variable of test/api/fuzz.test.ts can be set to override the defaults below, e.g.
//   FUZZ_SEED=1234 npm run fuzz                 reproduce a run (its seed is printed)
//   FUZZ_MAX_EXAMPLES=1000 npm run fuzz         longer
//   FUZZ_PHASES=stateful npm run fuzz           one phase only
import { randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNodeModules } from './lib/deps.mjs';
import { runInherit } from './lib/proc.mjs';
import { ROOT, ensureTools } from './lib/tools.mjs';

const jestArgs = process.argv.slice(2);
if (jestArgs[0] === '--') jestArgs.shift();

const DEFAULTS = {
  FUZZ_MAX_EXAMPLES: '200',
  FUZZ_CHECKS: 'all',
  // Left out on purpose:
  //   positive_data_acceptance: it expects a 2xx for any schema-valid request, but the API also
  //     refuses valid-looking input by rules a schema cannot express, with a 400/422 naming the param
  //     (a product or customer id that does not exist, an unsupported currency or time zone, a
  //     start_date in the past, a NUL character);
  //   unsupported_method: it expects 405 for a method a path does not have; the API answers 404
  //     `route_not_found` for any method and path it does not serve, as Stripe does.
  FUZZ_EXCLUDE_CHECKS: 'positive_data_acceptance,unsupported_method',
  FUZZ_PHASES: 'examples,coverage,fuzzing,stateful',
  // A new seed each run explores new inputs; it is printed, so any run can be replayed.
  FUZZ_SEED: String(randomInt(1, 2 ** 31)),
  FUZZ_REPORT_DIR: join(tmpdir(), `billing-fuzz-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  FUZZ_VERBOSE: '1',
};

async function main() {
  await ensureNodeModules();
  const tools = await ensureTools();
  const fuzz = Object.fromEntries(Object.entries(DEFAULTS).map(([name, value]) => [name, process.env[name] || value]));
  const env = {
    ...process.env,
    TEMPORAL_CLI_PATH: tools.temporalCli,
    TEMPORAL_TEST_SERVER_PATH: tools.temporalTestServer,
    STRIPE_MOCK_PATH: tools.stripeMock,
    SCHEMATHESIS_PATH: tools.schemathesis,
    ...fuzz,
  };
  console.log(`[fuzz] ${Object.entries(fuzz).map(([name, value]) => `${name}=${value}`).join(' ')}`);
  const code = await runInherit(join(ROOT, 'node_modules', '.bin', 'jest'), ['--ci', '--runInBand', 'test/api/fuzz.test.ts', ...jestArgs], {
    cwd: ROOT,
    env,
  });
  console.log(`[fuzz] ${code === 0 ? 'passed' : `FAILED (exit ${code})`}; seed ${fuzz.FUZZ_SEED} (rerun: FUZZ_SEED=${fuzz.FUZZ_SEED} npm run fuzz)`);
  console.log(`[fuzz] schemathesis reports (JUnit, NDJSON events, pytest reproductions): ${fuzz.FUZZ_REPORT_DIR}`);
  return code;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`[fuzz] ${error.message}`);
  process.exitCode = 1;
}
