import type { FastifyRequest } from 'fastify';

/**
 * The credential in `Authorization: Bearer <token>` (scheme case-insensitive), or null. One reading for
 * API keys, portal sessions and the rate limiter, so they never disagree on who is calling.
 */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  return /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? null;
}
