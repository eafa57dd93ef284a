/**
 * API keys against real PostgreSQL: only a hash of the secret is stored, the secret finds its key
 * while a changed or revoked one finds none, and the first boot makes sure an admin key exists.
 */
import { openDatabase, type MikroORM } from '../../../db/orm';
import { ApiKey } from '../../../db/entities';
import { ensureAdminKey, findActiveKey, generateApiKeySecret, hashApiKey, issueApiKey } from '../../../services/access/api-keys';
import { requireEnv } from '../../support/env';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

/** The same secret with its last character changed. */
const changed = (secret: string) => secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');

describe('API keys', () => {
  it('stores only the hash and a short prefix of a new bk_ secret', async () => {
    const { key, secret } = await issueApiKey(orm.em.fork(), 'Billing desk', 'operator');
    expect(secret).toMatch(/^bk_[A-Za-z0-9_-]{32}$/);
    const stored = await orm.em.fork().findOneOrFail(ApiKey, { id: key.id });
    expect(stored).toMatchObject({ name: 'Billing desk', role: 'operator', keyHash: hashApiKey(secret), keyPrefix: secret.slice(0, 7), revokedAt: null });
    expect(stored.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(7));
  });

  it('finds the key by its secret, and none for a changed secret', async () => {
    const { key, secret } = await issueApiKey(orm.em.fork(), 'Sales', 'sales');
    expect(await findActiveKey(orm.em.fork(), secret)).toMatchObject({ id: key.id, role: 'sales' });
    expect(await findActiveKey(orm.em.fork(), changed(secret))).toBeNull();
    expect(await findActiveKey(orm.em.fork(), generateApiKeySecret())).toBeNull();
  });

  it('finds no revoked key', async () => {
    const { key, secret } = await issueApiKey(orm.em.fork(), 'Leaver', 'admin');
    await orm.em.fork().nativeUpdate(ApiKey, { id: key.id }, { revokedAt: new Date() });
    expect(await findActiveKey(orm.em.fork(), secret)).toBeNull();
  });

  it('issues a configured admin key once, and none unasked while an admin key is active', async () => {
    const configured = generateApiKeySecret();
    const first = await ensureAdminKey(orm.em.fork(), configured);
    expect(first).toMatchObject({ secret: configured, key: { role: 'admin', keyHash: hashApiKey(configured) } });
    expect(await ensureAdminKey(orm.em.fork(), configured)).toBeNull();
    // An admin key is active (the configured one), so none is issued unasked.
    expect(await ensureAdminKey(orm.em.fork())).toBeNull();
  });
});
