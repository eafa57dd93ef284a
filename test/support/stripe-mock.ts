/** stripe-mock for the contract tests (and the page tests' Stripe mode): start it, stop it, and small HTTP helpers. */
import { ChildProcess, spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function readBody(req: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export async function close(server: Server | undefined): Promise<void> {
  if (!server?.listening) return;
  // The SDK keeps connections alive; drop them or close() waits for them.
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Starts stripe-mock on a port the OS picks (HTTP only) and resolves with that port. */
export function startStripeMock(binary: string): Promise<{ process: ChildProcess; port: number }> {
  const child = spawn(binary, ['-http-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`stripe-mock did not start within 20s:\n${output}`)), 20_000);
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const listening = /Listening for HTTP at address: .*:(\d+)/.exec(output);
      if (listening?.[1]) {
        clearTimeout(timer);
        resolve({ process: child, port: Number(listening[1]) });
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run stripe-mock at ${binary}: ${error.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stripe-mock exited with ${code}:\n${output}`));
    });
  });
}

export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
