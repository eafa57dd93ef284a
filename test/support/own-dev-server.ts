/**
 * A Temporal dev server of one test file's own, for a server setting the shared one (started by
 * global-setup.mjs for every file) must keep at its default. Same CLI (TEMPORAL_CLI_PATH), in memory,
 * headless, with the project's search attributes; stopped by the file's afterAll.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../workflows/shared/search-attributes';

export interface OwnDevServer {
  address: string;
  stop(): Promise<void>;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** `dynamicConfig`: server settings (`--dynamic-config-value key=value`, values as JSON). */
export async function startOwnDevServer(dynamicConfig: Record<string, number | boolean | string>, timeoutMs = 60_000): Promise<OwnDevServer> {
  const cli = process.env.TEMPORAL_CLI_PATH;
  if (!cli) throw new Error('TEMPORAL_CLI_PATH is not set (the Jest global setup sets it)');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--namespace', 'default', '--log-level', 'warn'];
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_DEFINITIONS)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(dynamicConfig)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_192)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Never left behind by a test process that exits without its afterAll.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    process.removeListener('exit', killOnExit);
  };

  // Up when its frontend answers for the namespace (registered at start), not merely when the port opens.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return { address, stop };
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`own Temporal dev server did not start on ${address}: ${(error as Error).message}\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
