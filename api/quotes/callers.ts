/** Who is calling a quote route, as a quote's timeline and signatures record it. */
import type { FastifyRequest } from 'fastify';

/** Who did it, as the quote's timeline shows: the API key's name. */
export const actor = (request: FastifyRequest): string => request.apiKey?.name ?? 'api';

/** The caller's user agent as a signature records it (bounded: it is the caller's to choose). */
export const userAgentOf = (request: FastifyRequest): string | null => request.headers['user-agent']?.slice(0, 500) ?? null;
