// Installs node_modules when it is missing or older than package-lock.json, so `npm start` and
// `npm test` work on a fresh clone. Node built-ins only: this runs before anything is installed.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { runInherit } from './proc.mjs';
import { ROOT } from './tools.mjs';

/** Runs `npm ci` (the lockfile is complete for every platform) when needed; throws when it fails. Returns true when it installed. */
export async function ensureNodeModules({ log = (m) => console.error(`[deps] ${m}`), root = ROOT } = {}) {
  const reason = installReason(root);
  if (!reason) return false;
  log(`${reason}: running npm ci`);
  const started = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const code = await runInherit(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root });
  if (code !== 0) throw new Error(`installing node_modules failed (npm exit code ${code})`);
  log(`node_modules ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

function installReason(root) {
  const lock = mtime(join(root, 'package-lock.json'));
  // npm writes node_modules/.package-lock.json at the end of every install: its age is the install's age.
  const installed = mtime(join(root, 'node_modules', '.package-lock.json'));
  if (installed === undefined) return 'node_modules is missing';
  if (lock !== undefined && lock > installed) return 'package-lock.json is newer than node_modules';
  return undefined;
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}
