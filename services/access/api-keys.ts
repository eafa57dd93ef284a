import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { ApiKey, type ApiKeyRole } from '../../db/entities';
import { newId } from '../../db/ids';
import { type PreparedStatement, queryRows } from '../../db/pooled-query';

export const API_KEY_ROLES: readonly ApiKeyRole[] = ['admin', 'operator', 'sales'];

/** Keys carry 192 random bits, so a plain SHA-256 is enough to store them: there is nothing to brute-force. */
export const hashApiKey = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

export const generateApiKeySecret = (): string => `bk_${randomBytes(24).toString('base64url')}`;

export interface IssuedApiKey {
  key: ApiKey;
  /** Shown once; only its hash is stored. */
  secret: string;
}

export async function issueApiKey(em: EntityManager, name: string, role: ApiKeyRole, secret = generateApiKeySecret()): Promise<IssuedApiKey> {
  const key = em.create(ApiKey, {
    id: newId('apiKey'),
    name,
    role,
    keyHash: hashApiKey(secret),
    keyPrefix: secret.slice(0, 7),
    createdAt: new Date(),
    revokedAt: null,
  });
  await em.flush();
  return { key, secret };
}

export async function findActiveKey(em: EntityManager, secret: string): Promise<ApiKey | null> {
  return em.findOne(ApiKey, { keyHash: hashApiKey(secret), revokedAt: null });
}

/** What a request knows about the key that authenticated it. */
export type AuthenticatedKey = Pick<ApiKey, 'id' | 'name' | 'role'>;

const ACTIVE_KEY_BY_HASH: PreparedStatement = {
  name: 'api_key_active_by_hash',
  text: 'select id, name, role from api_keys where key_hash = $1 and revoked_at is null',
};

/**
 * The active key behind a bearer secret, looked up on every authenticated request: one indexed
 * read by hash as a prepared statement, without the ORM (no entity is needed, only who is calling).
 * Read afresh each time, never cached, so a revoked key is refused from its next request on.
 */
export async function authenticateApiKey(orm: MikroORM, secret: string): Promise<AuthenticatedKey | null> {
  const [row] = await queryRows<AuthenticatedKey>(orm, ACTIVE_KEY_BY_HASH, [hashApiKey(secret)]);
  return row ?? null;
}

/**
 * First boot: make sure someone can log in. With ADMIN_API_KEY set, that exact key exists; otherwise,
 * if no admin key is active, a new one is issued and returned so the caller can show it once.
 */
export async function ensureAdminKey(em: EntityManager, configured?: string): Promise<IssuedApiKey | null> {
  if (configured) {
    if (await findActiveKey(em, configured)) return null;
    return issueApiKey(em, 'admin (ADMIN_API_KEY)', 'admin', configured);
  }
  const admins = await em.count(ApiKey, { role: 'admin', revokedAt: null });
  return admins > 0 ? null : issueApiKey(em, 'first admin key', 'admin');
}
