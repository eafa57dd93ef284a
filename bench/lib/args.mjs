// The bench's command line. Defaults are the full run; --quick shrinks every load so the whole
// bench finishes in under 2 minutes on a 2-core machine (explicit flags still win).
import { parseArgs } from 'node:util';
import { parseEngine } from '../../scripts/lib/temporal-server-config.mjs';

export const SECTIONS = ['history', 'idle', 'billing', 'api', 'page', 'hot'];

const FULL = { subscriptions: 2000, idle: 10000, duration: 10, connections: 10, hotSeconds: 30 };
const QUICK = { subscriptions: 30, idle: 100, duration: 2, connections: 10, hotSeconds: 5 };

export const USAGE = `Usage: npm run bench -- [options]
  --subscriptions N   billing run size, all due at the same moment (default ${FULL.subscriptions}; quick ${QUICK.subscriptions})
  --idle N            sleeping subscriptions for the idle cost (default ${FULL.idle}; quick ${QUICK.idle})
  --duration S        seconds of load per API route and page (default ${FULL.duration}; quick ${QUICK.duration})
  --connections N     concurrent connections of the load generator (default ${FULL.connections})
  --hot-seconds S     seconds of each hot entity run, 20 clients (default ${FULL.hotSeconds}; quick ${QUICK.hotSeconds})
  --quick             small loads, under 2 minutes in total
  --only LIST         comma-separated sections to run: ${SECTIONS.join(',')} (default all)
  --engine E          Temporal engine: dev (the dev server on SQLite, default) or server (the Temporal
                      server on the stack's PostgreSQL, built once with go install: about 7 minutes)
  --workers N         billing worker processes on the task queue (default 1)
  --worker-cache N    WORKER_MAX_CACHED_WORKFLOWS of every worker, the baseline's too (default: the
                      environment's, else the app's default, 50)
  --json-only         print only the JSON summary
Results also go to bench/results/latest.json.`;

function positiveInt(name, raw) {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return value;
}

export function parseBenchArgs(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      subscriptions: { type: 'string' },
      idle: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      'hot-seconds': { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      engine: { type: 'string' },
      workers: { type: 'string' },
      'worker-cache': { type: 'string' },
      'json-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const defaults = values.quick ? QUICK : FULL;
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : SECTIONS;
  for (const section of only) if (!SECTIONS.includes(section)) throw new Error(`--only: unknown section "${section}" (${SECTIONS.join(', ')})`);
  return {
    help: values.help,
    quick: values.quick,
    jsonOnly: values['json-only'],
    sections: only,
    subscriptions: values.subscriptions ? positiveInt('subscriptions', values.subscriptions) : defaults.subscriptions,
    idle: values.idle ? positiveInt('idle', values.idle) : defaults.idle,
    duration: values.duration ? positiveInt('duration', values.duration) : defaults.duration,
    connections: values.connections ? positiveInt('connections', values.connections) : defaults.connections,
    hotSeconds: values['hot-seconds'] ? positiveInt('hot-seconds', values['hot-seconds']) : defaults.hotSeconds,
    engine: parseEngine(values.engine, '--engine'),
    workers: values.workers ? positiveInt('workers', values.workers) : 1,
    workerCache: values['worker-cache'] ? positiveInt('worker-cache', values['worker-cache']) : undefined,
  };
}
