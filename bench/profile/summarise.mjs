// Top functions by self time in a V8 CPU profile (`node --cpu-prof`), and the same grouped by
// package or project directory, so a profile of the API under load says where its CPU goes.
import { readFile } from 'node:fs/promises';

const where = (url) => {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node';
  const project = url.match(/\/(api|services|db|domain|logger\.ts|config\.ts)(\/|$)/);
  return project ? `project:${project[1]}` : url.replace(/^file:\/\//, '');
};

/**
 * { total, byFunction: [[name, ms]], byPlace: [[place, ms]] } from a .cpuprofile file; with `window`
 * ([fromMs, toMs] counted back from the profile's end), only the samples in it: the load, not the start.
 */
export async function summariseProfile(file, { top = 25, window } = {}) {
  const profile = JSON.parse(await readFile(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    const beforeEnd = (profile.endTime - at) / 1000;
    if (window && (beforeEnd > window[0] || beforeEnd < window[1])) continue;
    selfMs.set(profile.samples[i], (selfMs.get(profile.samples[i]) ?? 0) + profile.timeDeltas[i] / 1000);
  }
  const byFunction = new Map();
  const byPlace = new Map();
  let total = 0;
  for (const [id, ms] of selfMs) {
    const { callFrame: f } = nodes.get(id);
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
    total += ms;
    const name = `${f.functionName || '(anonymous)'} ${where(f.url)}:${f.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    byPlace.set(where(f.url), (byPlace.get(where(f.url)) ?? 0) + ms);
  }
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { total, byFunction: sorted(byFunction), byPlace: sorted(byPlace) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { total, byFunction, byPlace } = await summariseProfile(process.argv[2], { top: Number(process.argv[3] ?? 25) });
  const pct = (ms) => `${((ms / total) * 100).toFixed(1).padStart(5)} %`;
  console.log(`busy ${total.toFixed(0)} ms (idle and (program) left out)\n\nby package / directory:`);
  for (const [place, ms] of byPlace) console.log(`${pct(ms)}  ${place}`);
  console.log('\nby function (self time):');
  for (const [name, ms] of byFunction) console.log(`${pct(ms)}  ${name}`);
}
