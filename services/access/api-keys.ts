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

/** Failed authentications counted against a client address in its current window (api/plugins/rate-limits.ts). */
export interface FailedAuthentications {
  current: number;
  /** Milliseconds until the window ends. */
  ttl: number;
}

/**
 * The caller's failed authentications and the active key behind the secret, in one round trip: the
 * cap on failures is read as before (same counter row, `rate_limit_counters` keyed by the address)
 * and the key by its hash, but the caller looks at the key only when the cap is not reached.
 */
const FAILURES_AND_ACTIVE_KEY: PreparedStatement = {
  name: 'api_key_failures_and_active_key',
  text: `select f.hits as failures, f.ttl as failures_ttl, k.id, k.name, k.role
         from (select 1) as request
         left join lateral (
           select hits, ceil(extract(epoch from (window_ends_at - clock_timestamp())) * 1000)::int as ttl
           from rate_limit_counters where key = $1 and window_ends_at > clock_timestamp()
         ) as f on true
         left join api_keys as k on k.key_hash = $2 and k.revoked_at is null`,
};

interface FailuresAndKeyRow {
  failures: number | null;
  failures_ttl: number | null;
  id: string | null;
  name: string;
  role: ApiKeyRole;
}

/**
 * Authenticates a bearer secret on every request to a role-checked route: one indexed read by hash,
 * as a prepared statement without the ORM (no entity is needed, only who is calling), together with
 * the failed-authentication counter of `failureKey` (the client address). Read afresh each time,
 * never cached, so a revoked key is refused from its next request on.
 */
export async function authenticateApiKey(
  orm: MikroORM,
  secret: string,
  failureKey: string,
): Promise<{ failures: FailedAuthentications; key: AuthenticatedKey | null }> {
  const [row] = await queryRows<FailuresAndKeyRow>(orm, FAILURES_AND_ACTIVE_KEY, [failureKey, hashApiKey(secret)]);
  const failures = { current: row?.failures ?? 0, ttl: row?.failures_ttl ?? 0 };
  return { failures, key: row?.id ? { id: row.id, name: row.name, role: row.role } : null };
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
