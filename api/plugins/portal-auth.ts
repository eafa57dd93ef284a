/**
 * The portal routes' authentication: the bearer token a `/v1/portal` request carries, verified by
 * services/access/portal-sessions.ts; anything but a live session is a 401 `portal_session_invalid`.
 */
import type { FastifyRequest } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { PortalSession } from '../../db/entities';
import { verifyPortalToken } from '../../services/access/portal-sessions';
import { ApiError } from '../errors';
import { bearerToken } from '../bearer-token';

/** The session a portal request carries, or a 401 `portal_session_invalid` saying why there is none. */
export async function authenticatePortalRequest(orm: MikroORM, request: FastifyRequest): Promise<PortalSession> {
  const verified = await verifyPortalToken(orm.em.fork(), bearerToken(request));
  if ('refused' in verified) throw new ApiError(401, 'authentication_error', 'portal_session_invalid', verified.refused);
  return verified;
}
