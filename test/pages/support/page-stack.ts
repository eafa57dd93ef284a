/**
 * The whole stack a customer's browser talks to: the API harness (real PostgreSQL, the Temporal dev
 * server, the real worker with the sandbox gateway and a capturing mailer) listening on a real port,
 * so emailed links point at it and Chromium can open them.
 */
import { createServer } from 'node:net';
import type { AppDeps } from '../../../api/app';
import { startApiHarness, type ApiHarness } from '../../support/api-harness';

export interface PageStack {
  /** `http://127.0.0.1:<port>`: PUBLIC_URL of the app and of the worker's email links. */
  baseUrl: string;
  harness: ApiHarness;
  close(): Promise<void>;
}

/** A port free right now (the app is built with its PUBLIC_URL before it listens). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPageStack(options: { app?: Partial<AppDeps>; cancellationRequests?: 'approval' | 'immediate' } = {}): Promise<PageStack> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const harness = await startApiHarness({ publicUrl: baseUrl, app: options.app, cancellationRequests: options.cancellationRequests });
  await harness.app.listen({ host: '127.0.0.1', port });
  return { baseUrl, harness, close: () => harness.close() };
}
