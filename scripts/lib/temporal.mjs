// Runs `temporal server start-dev` (the official CLI's single-binary dev server on SQLite) as a child
// process, for `npm start` (persistent file) and the Jest global setup (in memory).
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { isPortOpen, waitForPort } from './ports.mjs';
import { isRunning, stopChild, tail } from './proc.mjs';

// Registered at every start. With an existing --db-filename the dev server accepts attributes that are
// already there with the same type (checked: starting twice on one file works).
export const SEARCH_ATTRIBUTES = Object.freeze({
  CustomerId: 'Keyword',
  BillingStatus: 'Keyword',
  NextBillingDate: 'Datetime',
});

/**
 * @param {object} options
 * @param {string} options.cli        path of the `temporal` binary
 * @param {number} options.port       front-end gRPC port
 * @param {number|null} [options.uiPort]  Web UI port; null runs headless (tests)
 * @param {string} [options.dbFile]   SQLite file for persistent state; omitted keeps everything in memory
 * @param {string} [options.logFile]  where the server's own output goes (appended); otherwise it is dropped
 *                                    apart from a tail kept in memory for error messages
 * @param {(msg: string) => void} [options.log]
 * @returns {Promise<{ address: string, uiUrl: string|undefined, pid: number, stop(): Promise<void> }>}
 */
export async function startTemporalDevServer({ cli, port, uiPort = null, dbFile, logFile, log = () => {}, timeoutMs = 60_000 }) {
  const host = '127.0.0.1';
  // If another server already holds the port, waiting for it would "succeed" against the wrong server.
  if (await isPortOpen(port, host)) {
    throw new Error(`Temporal port ${host}:${port} is already in use (another Temporal server, or an earlier run still up?). `
      + 'Stop it, pick another port (TEMPORAL_PORT), or point TEMPORAL_ADDRESS at a running server.');
  }
  if (uiPort != null && await isPortOpen(uiPort, host)) {
    throw new Error(`Temporal UI port ${host}:${uiPort} is already in use. Stop whatever holds it or pick another port (TEMPORAL_UI_PORT).`);
  }

  const args = ['server', 'start-dev', '--ip', host, '--port', String(port), '--namespace', 'default', '--log-level', 'warn'];
  if (uiPort == null) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-disable-news-fetch'); // no internet here: skip the newsfeed
  if (dbFile) {
    mkdirSync(dirname(dbFile), { recursive: true });
    args.push('--db-filename', dbFile);
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);

  log(`starting Temporal dev server on ${host}:${port}${dbFile ? ` (state in ${dbFile})` : ' (in memory)'}`);
  const started = Date.now();
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collectOutput(child, logFile);
  let spawnError;
  child.once('error', (error) => { spawnError = error; });
  // Safety net: never leave the server behind if this process exits without calling stop().
  const killOnExit = () => { if (isRunning(child)) child.kill('SIGTERM'); };
  process.once('exit', killOnExit);

  try {
    await waitForPort(port, {
      host,
      timeoutMs,
      check: () => {
        if (spawnError) throw spawnError;
        if (!isRunning(child)) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
      },
    });
  } catch (error) {
    await stopChild(child, { graceMs: 2_000 });
    process.removeListener('exit', killOnExit);
    throw new Error(`Temporal dev server (${cli}) did not start on ${host}:${port}: ${error.message}\n`
      + `--- last output ---\n${tail(output.text(), 30) || '(none)'}`);
  }
  log(`Temporal dev server up in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  return {
    address: `${host}:${port}`,
    uiUrl: uiPort == null ? undefined : `http://${host}:${uiPort}`,
    pid: child.pid,
    child,
    /** SIGTERM, wait for exit; SIGKILL after 10 s. */
    async stop() {
      await stopChild(child, { signal: 'SIGTERM', graceMs: 10_000 });
      process.removeListener('exit', killOnExit);
      output.close();
    },
  };
}

/** Keeps the last ~64 KiB of the server's output for error messages, and appends all of it to logFile. */
function collectOutput(child, logFile) {
  let buffer = '';
  let file;
  if (logFile) {
    mkdirSync(dirname(logFile), { recursive: true });
    file = createWriteStream(logFile, { flags: 'a' });
    file.on('error', () => { file = undefined; }); // a log file problem must not take the server down
    file.write(`\n--- temporal server start-dev, ${new Date().toISOString()} ---\n`);
  }
  const onData = (chunk) => {
    buffer = (buffer + chunk).slice(-65_536);
    file?.write(chunk);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return {
    text: () => buffer,
    close: () => file?.end(),
  };
}
