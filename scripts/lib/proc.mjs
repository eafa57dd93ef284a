// Small child-process helpers shared by the dev scripts. Node built-ins only: these run before `npm ci`.
import { spawn } from 'node:child_process';

/**
 * Runs a command to completion and captures its output. Resolves with { code, signal, stdout, stderr }
 * and never rejects on a non-zero exit (callers decide what a failure means); rejects only when the
 * command cannot be started at all (ENOENT and friends), so "not installed" stays distinguishable.
 */
export function capture(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs a command with inherited stdio; resolves with its exit code (signal deaths map to 128 + n). */
export function runInherit(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? signalExitCode(signal)));
  });
}

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
export function signalExitCode(signal) {
  return 128 + (SIGNAL_NUMBERS[signal] ?? 1);
}

/** Last `lines` lines of a text, for error messages that show what a process said before it died. */
export function tail(text, lines = 30) {
  return String(text).trimEnd().split('\n').slice(-lines).join('\n');
}

/** True while the child has neither exited nor been killed by a signal. */
export function isRunning(child) {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Asks a child to stop with `signal`, then SIGKILLs it after `graceMs` if it is still there.
 * Resolves once it has exited. When the child leads its own process group (spawned detached),
 * the whole group is signalled so grandchildren (tsx's node process, for one) go too.
 */
export function stopChild(child, { signal = 'SIGTERM', graceMs = 10_000, group = false } = {}) {
  if (!child || !isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const send = (sig) => {
      try {
        if (group && child.pid) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // Already gone (ESRCH): the 'exit' listener below resolves.
      }
    };
    const timer = setTimeout(() => send('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    send(signal);
  });
}
