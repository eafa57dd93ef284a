/**
 * How `npm start`, `npm test` and the other scripts install node_modules on a fresh clone
 * (scripts/lib/deps.mjs): `npm ci` only. The lockfile lists every platform's optional binaries, so
 * `npm ci` accepts it; a failing `npm ci` is an error to see, not a reason to rewrite the lockfile
 * with `npm install`.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

test('a failing npm ci fails the install: npm is called once, with ci, and never with install', () => {
  const dir = mkdtempSync(join(tmpdir(), 'billing-deps-'));
  try {
    const project = join(dir, 'project');
    const bin = join(dir, 'bin');
    spawnSync('mkdir', ['-p', project, bin]);
    writeFileSync(join(project, 'package-lock.json'), '{}\n'); // and no node_modules: an install is due
    const calls = join(dir, 'npm-calls.txt');
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\necho "$*" >> '${calls}'\nexit 1\n`);
    chmodSync(join(bin, 'npm'), 0o755);
    const deps = join(ROOT, 'scripts/lib/deps.mjs');
    const script = `import(${JSON.stringify(deps)}).then((m) => m.ensureNodeModules({ root: ${JSON.stringify(project)}, log: () => {} }))
      .then(() => console.log('installed'), (e) => console.log('failed: ' + e.message));`;
    const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('failed: installing node_modules failed (npm exit code 1)');
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['ci --no-audit --no-fund']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the lockfile lists every platform's optional binaries, so npm ci accepts it on any machine", () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const swc = lock.packages['node_modules/@swc/core'];
  const optional = Object.keys(swc.optionalDependencies ?? {});
  expect(optional.length).toBeGreaterThan(5);
  for (const name of optional) expect(lock.packages[`node_modules/${name}`]).toBeDefined();
});
