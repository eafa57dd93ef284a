/** The records behind `/v1/api-keys` as the API answers with them (the shapes are in ./schemas.ts). */
import { ApiKey } from '../../db/entities';
import { iso } from '../schemas';

export const apiKeyResource = (k: ApiKey) => ({
  id: k.id,
  object: 'api_key' as const,
  name: k.name,
  role: k.role,
  key_prefix: k.keyPrefix,
  created_at: iso(k.createdAt)!,
  revoked_at: iso(k.revokedAt),
});
