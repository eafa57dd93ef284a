import { EntitySchema } from '@mikro-orm/core';
import { timestamptz } from './columns';
import type { ApiKeyRole } from './api-key';

/**
 * A customer portal session: a short-lived bearer token (`cps_...`) that lets one customer see and
 * act on its own records under `/v1/portal`. Only the SHA-256 of the token is stored; the token is
 * shown once, when staff issue the session.
 */
export class PortalSession {
  id!: string;
  customerId!: string;
  tokenHash!: string;
  /** Where the portal sends the customer back (the merchant's site), if staff gave one. */
  returnUrl!: string | null;
  expiresAt!: Date;
  revokedAt!: Date | null;
  /** The API key that issued the session (audit). */
  createdByKeyId!: string | null;
  /** That key's role: the session may do only what this role may do through the staff API. */
  openedByRole!: ApiKeyRole;
  createdAt!: Date;
}

export const PortalSessionSchema = new EntitySchema<PortalSession>({
  class: PortalSession,
  tableName: 'portal_sessions',
  properties: {
    id: { type: 'string', primary: true },
    customerId: { type: 'string' },
    tokenHash: { type: 'string', unique: true },
    returnUrl: { type: 'text', nullable: true },
    expiresAt: timestamptz(),
    revokedAt: timestamptz(true),
    createdByKeyId: { type: 'string', nullable: true },
    openedByRole: { type: 'string' },
    createdAt: timestamptz(),
  },
});
