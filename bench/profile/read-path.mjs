// `node bench/profile/read-path.mjs [seconds]`: the API under the bench's read load with
// `node --cpu-prof`, then its top self-time functions. Boots the stack like `npm run bench`
// (bench/lib/stack.mjs), restarts the API with the profiler on, loads GET /v1/subscriptions/:id at
// 10 connections, stops the API (the profile is written at exit) and summarises it.
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { waitForPort } from '../../scripts/lib/ports.mjs';
import { seedBillingRun, waitForBillingRun } from '../lib/billing-run.mjs';
import { startStack } from '../lib/stack.mjs';
import { summariseProfile } from './summarise.mjs';

const seconds = Number(process.argv[2] ?? 5);
const profileDir = await mkdtemp(join(tmpdir(), 'api-profile-'));
const stack = await startStack({ log: (m) => console.error(`stack: ${m}`) });
let loadEnded;
let stopped;
try {
  const { subscriptionIds } = await seedBillingRun(stack, { count: 1, startAt: Date.now() });
  await waitForBillingRun(stack, subscriptionIds, { timeoutMs: 60_000 });
  await stack.stopApi();
  const port = new URL(stack.apiUrl).port;
  stack.apiProcess = await stack.spawnApp('api', 'api/main.ts', () => waitForPort(Number(port), { timeoutMs: 500 }).then(() => true, () => false), {
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  });
  const url = `${stack.apiUrl}/v1/subscriptions/${subscriptionIds[0]}`;
  const headers = { authorization: `Bearer ${stack.adminKey}` };
  await autocannon({ url, headers, connections: 10, duration: 1 });
  const result = await autocannon({ url, headers, connections: 10, duration: seconds });
  loadEnded = Date.now();
  console.log(`${result.requests.total} requests, ${result.requests.average} req/s, non-2xx ${result.non2xx}`);
  await stack.stopApi();
  stopped = Date.now();
} finally {
  await stack.stop();
}
// The main thread's profile is the largest (tsx's loader thread writes one too).
const files = (await readdir(profileDir)).filter((f) => f.endsWith('.cpuprofile'));
const sizes = await Promise.all(files.map(async (f) => (await stat(join(profileDir, f))).size));
const file = files[sizes.indexOf(Math.max(...sizes))];
const { total, byFunction, byPlace } = await summariseProfile(join(profileDir, file), { top: 30, window: [stopped - loadEnded + seconds * 1000, stopped - loadEnded] });
const pct = (ms) => `${((ms / total) * 100).toFixed(1).padStart(5)} %`;
console.log(`profile ${join(profileDir, file)}: busy ${total.toFixed(0)} ms over the ${seconds} s of load\n\nby package / directory:`);
for (const [place, ms] of byPlace) console.log(`${pct(ms)}  ${place}`);
console.log('\nby function (self time):');
for (const [name, ms] of byFunction) console.log(`${pct(ms)}  ${name}`);
