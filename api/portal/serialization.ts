/** The records behind `/v1/portal and the portal sessions` as the API answers with them (the shapes are in ./schemas.ts). */
import { PortalSession } from '../../db/entities';
import { iso } from '../schemas';

export function portalSessionResource(s: PortalSession, issued?: { token: string; url: string }) {
  return {
    id: s.id,
    object: 'portal_session' as const,
    customer: s.customerId,
    token: issued?.token ?? null,
    url: issued?.url ?? null,
    return_url: s.returnUrl,
    expires_at: iso(s.expiresAt)!,
    revoked_at: iso(s.revokedAt),
    created_at: iso(s.createdAt)!,
  };
}
