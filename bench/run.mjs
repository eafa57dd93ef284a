// `npm run bench [-- options]`: installs what the benchmark needs first (node_modules, the native
// tools), as `npm start`, `npm test` and `npm run fuzz` do, then runs bench/bench.mjs (options: `--help`).
// The benchmark imports npm packages, and static imports run before any code: so it is loaded with a
// dynamic import, after the install. Node built-ins and scripts/lib only up to there.
import { ensureNodeModules } from '../scripts/lib/deps.mjs';
import { ensureTools } from '../scripts/lib/tools.mjs';

await ensureNodeModules();
await ensureTools();
await import('./bench.mjs');
