/**
 * Portal sessions against real PostgreSQL: a token opens its session until it expires or is revoked;
 * a forged, unknown or non-portal token opens none, and only the token's hash is stored.
 */
import { openDatabase, type MikroORM } from '../../../db/orm';
import { PortalSession } from '../../../db/entities';
import { issueApiKey } from '../../../services/access/api-keys';
import { hashPortalToken, issuePortalSession, verifyPortalToken, PORTAL_TOKEN_PREFIX } from '../../../services/access/portal-sessions';
import { requireEnv } from '../../support/env';
import { createCustomer } from '../../support/fixtures';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

async function issue(expiresInSeconds = 3600) {
  const customer = await createCustomer(orm);
  const { key } = await issueApiKey(orm.em.fork(), 'Support desk', 'operator');
  return issuePortalSession(orm.em.fork(), { customerId: customer.id, expiresInSeconds, returnUrl: null, openedBy: key });
}

describe('portal sessions', () => {
  it('issues a cps_ token whose hash alone is stored, and verifies it to its session', async () => {
    const { session, token } = await issue();
    expect(token.startsWith(PORTAL_TOKEN_PREFIX)).toBe(true);
    const stored = await orm.em.fork().findOneOrFail(PortalSession, { id: session.id });
    expect(stored.tokenHash).toBe(hashPortalToken(token));
    expect(stored.tokenHash).not.toContain(token.slice(PORTAL_TOKEN_PREFIX.length));
    expect(stored.openedByRole).toBe('operator');
    const verified = await verifyPortalToken(orm.em.fork(), token);
    expect(verified).toMatchObject({ id: session.id, customerId: session.customerId });
  });

  it('rejects the token once it has expired', async () => {
    const { session, token } = await issue(60);
    expect(await verifyPortalToken(orm.em.fork(), token, new Date(session.expiresAt.getTime() - 1000))).toMatchObject({ id: session.id });
    expect(await verifyPortalToken(orm.em.fork(), token, new Date(session.expiresAt.getTime() + 1000))).toEqual({ refused: 'Invalid, expired or revoked portal session.' });
  });

  it('rejects a revoked session', async () => {
    const { session, token } = await issue();
    const em = orm.em.fork();
    await em.nativeUpdate(PortalSession, { id: session.id }, { revokedAt: new Date() });
    expect(await verifyPortalToken(orm.em.fork(), token)).toEqual({ refused: 'Invalid, expired or revoked portal session.' });
  });

  it('rejects a forged token, an API key, and no token at all, each saying why', async () => {
    const { token } = await issue();
    const forged = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(await verifyPortalToken(orm.em.fork(), forged)).toEqual({ refused: 'Invalid, expired or revoked portal session.' });
    const { secret } = await issueApiKey(orm.em.fork(), 'Admin', 'admin');
    expect(await verifyPortalToken(orm.em.fork(), secret)).toEqual({ refused: 'The portal takes a portal session token (cps_...), not an API key.' });
    expect(await verifyPortalToken(orm.em.fork(), null)).toEqual({ refused: expect.stringMatching(/^No portal session token provided/) });
  });
});
