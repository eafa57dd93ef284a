import type { RateLimits } from '../../config';

/**
 * Limits no test reaches by accident. Every app in a Jest run shares one database, so its counters:
 * a file that sends hundreds of unauthenticated requests (the authorization matrix) would otherwise
 * push 127.0.0.1 over the failed-authentication cap for every file after it. The limits themselves
 * are tested with low values and their own client addresses (test/api/abuse-limits.test.ts).
 */
export const TEST_RATE_LIMITS: RateLimits = {
  perCredentialPerSecond: 1_000_000,
  publicPerMinute: 1_000_000,
  authFailures: 1_000_000,
  authFailureWindowSeconds: 1,
  portalAccessPerHour: 1_000_000,
  cardAttemptsPerHour: 1_000_000,
};
