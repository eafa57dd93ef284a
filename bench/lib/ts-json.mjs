// Runs a TypeScript measurement script as a child (`node --import tsx`, like the stack's processes)
// and returns the JSON it prints as its last stdout line. Its stderr is kept for error messages only.
import { capture, tail } from '../../scripts/lib/proc.mjs';
import { ROOT } from '../../scripts/lib/tools.mjs';

export async function runTsJson(file, env) {
  const result = await capture(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env });
  const last = result.stdout.trim().split('\n').pop() ?? '';
  if (result.code !== 0 || !last.startsWith('{')) {
    throw new Error(`${file} failed (exit ${result.code ?? result.signal}):\n${tail(result.stderr + result.stdout, 30)}`);
  }
  return JSON.parse(last);
}
