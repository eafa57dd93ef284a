// Jest globalTeardown: stops what global-setup.mjs started (same process, so the handles on globalThis
// are still there) and drops the per-run database when DATABASE_URL pointed at an existing server.
import { stopTestStack } from './global-setup.mjs';

export default async function globalTeardown() {
  const stack = globalThis.__billingTestStack;
  if (stack) await stopTestStack(stack);
}
