// `npm run chaos [-- options]`: installs what the fault runs need first (node_modules, the native
// tools), as `npm start`, `npm test` and `npm run fuzz` do, then runs bench/chaos/chaos.mjs (options:
// `--help`). The runner imports npm packages, and static imports run before any code: so it is loaded
// with a dynamic import, after the install. Node built-ins and scripts/lib only up to there.
import { ensureNodeModules } from '../../scripts/lib/deps.mjs';
import { ensureTools } from '../../scripts/lib/tools.mjs';

await ensureNodeModules();
await ensureTools();
await import('./chaos.mjs');
