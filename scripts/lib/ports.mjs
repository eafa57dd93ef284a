// TCP port helpers for the dev scripts and the Jest global setup.
import net from 'node:net';

/** A port that was free a moment ago on `host` (the OS picks it). Tiny race by nature; fine for dev and tests. */
export function findFreePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on host:port right now. */
export function isPortOpen(port, host = '127.0.0.1', timeoutMs = 1_000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls until host:port accepts connections. `check()` runs between attempts and may throw to abort
 * early (e.g. when the server process already exited, so we do not wait out the whole timeout).
 */
export async function waitForPort(port, { host = '127.0.0.1', timeoutMs = 60_000, intervalMs = 100, check } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    check?.();
    if (await isPortOpen(port, host)) return;
    if (Date.now() > deadline) throw new Error(`nothing accepted connections on ${host}:${port} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
