/**
 * Portal sign-in links against real PostgreSQL and the Temporal dev server: a request for an address
 * (any case) emails each matching customer a one-time link through the worker, the outbox keeps it
 * redacted, and the delivered link opens one operator-role session, once, within 15 minutes; an
 * expired, used, unknown or malformed token (another credential's prefix included) opens nothing.
 */
import { randomUUID } from 'node:crypto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { Email, PortalSession, PortalSignInLink } from '../../../db/entities';
import { issuePortalSession, verifyPortalToken } from '../../../services/access/portal-sessions';
import { generateApiKeySecret } from '../../../services/access/api-keys';
import {
  SIGN_IN_LINK_TTL_MS,
  addSignInLink,
  generateSignInToken,
  hashSignInToken,
  inspectSignInLink,
  signInWithLink,
} from '../../../services/access/portal-sign-in-links';
import { requestSignInLinks } from '../../../services/access/request-sign-in-link';
import { openServiceStack, type ServiceStack } from '../../support/service-stack';
import { testBillingWorker } from '../../support/billing-worker';
import { CapturingMailer } from '../../support/capturing-mailer';
import { createCustomer } from '../../support/fixtures';
import { eventually } from '../../support/eventually';
import { requireEnv } from '../../support/env';
import { quietTemporalLogs } from '../../support/temporal-env';

let stack: ServiceStack;
let workerConnection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
const mailer = new CapturingMailer();
const taskQueue = `sign-in-test-${randomUUID()}`;

beforeAll(async () => {
  quietTemporalLogs();
  stack = await openServiceStack();
  workerConnection = await NativeConnection.connect({ address: requireEnv('TEMPORAL_ADDRESS') });
  worker = await testBillingWorker({ connection: workerConnection, taskQueue, orm: stack.orm, mailer });
  workerRun = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await stack?.close();
});

/** A link minted directly (as the worker's activity does), asked for at `requestedAt`. */
async function mintedLink(requestedAt = new Date()) {
  const customer = await createCustomer(stack.orm, { email: `link-${randomUUID()}@example.com` });
  const em = stack.orm.em.fork();
  const { link, token } = addSignInLink(em, { customerId: customer.id, emailKey: `portal_sign_in:${randomUUID()}`, requestedAt });
  await em.flush();
  return { customer, link, token };
}

describe('requesting a link', () => {
  it('emails the customer a link whose token only the delivered email carries', async () => {
    const email = `Grace.${randomUUID()}@Example.com`;
    const customer = await createCustomer(stack.orm, { email, name: 'Grace Hopper' });
    expect(await requestSignInLinks({ ...stack, taskQueue }, email.toLowerCase())).toBe(1);

    const delivered = await eventually(() => {
      const found = mailer.delivered.find((e) => e.to === email);
      expect(found).toBeDefined();
      return found!;
    });
    const token = /\/portal\/sign-in\/(psl_[A-Za-z0-9_-]{32})/.exec(delivered.text)?.[1];
    expect(token).toBeDefined();
    expect(delivered.html).toContain(token);

    // The mailer has the email before the outbox row is marked sent: wait for the mark.
    const outbox = await eventually(async () => {
      const row = await stack.orm.em.fork().findOneOrFail(Email, { key: delivered.idempotencyKey });
      expect(row).toMatchObject({ kind: 'portal_sign_in', customerId: customer.id, status: 'sent' });
      return row;
    });
    expect(outbox.text).toContain('/portal/sign-in/[redacted]');
    expect(`${outbox.text}${outbox.html}${outbox.subject}`).not.toContain(token!);

    const link = await stack.orm.em.fork().findOneOrFail(PortalSignInLink, { tokenHash: hashSignInToken(token!) });
    expect(link.customerId).toBe(customer.id);
    expect(link.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(link.expiresAt.getTime() - link.createdAt.getTime()).toBe(SIGN_IN_LINK_TTL_MS);
  });

  it('starts nothing for an address no customer has', async () => {
    expect(await requestSignInLinks({ ...stack, taskQueue }, `nobody-${randomUUID()}@example.com`)).toBe(0);
  });
});

describe('using a link', () => {
  it('opens one session for its customer, with the operator role and no API key, and only once', async () => {
    const { customer, token } = await mintedLink();
    expect(await inspectSignInLink(stack.orm.em.fork(), token)).toMatchObject({ customerId: customer.id, usedAt: null });

    const opened = await signInWithLink(stack.orm.em.fork(), token);
    if ('refused' in opened) throw new Error(`refused: ${opened.refused}`);
    expect(opened.token).toMatch(/^cps_/);
    const session = await verifyPortalToken(stack.orm.em.fork(), opened.token);
    expect(session).toMatchObject({ customerId: customer.id, openedByRole: 'operator', createdByKeyId: null });

    expect(await signInWithLink(stack.orm.em.fork(), token)).toEqual({ refused: 'used' });
    expect(await inspectSignInLink(stack.orm.em.fork(), token)).toEqual({ refused: 'used' });
    expect(await stack.orm.em.fork().count(PortalSession, { customerId: customer.id })).toBe(1);
  });

  it('opens one session between two confirmations racing each other', async () => {
    const { customer, token } = await mintedLink();
    const results = await Promise.all([signInWithLink(stack.orm.em.fork(), token), signInWithLink(stack.orm.em.fork(), token)]);
    expect(results.filter((r) => !('refused' in r))).toHaveLength(1);
    expect(await stack.orm.em.fork().count(PortalSession, { customerId: customer.id })).toBe(1);
  });

  it('refuses an expired link: 15 minutes after the request', async () => {
    const requestedAt = new Date(Date.now() - SIGN_IN_LINK_TTL_MS - 1000);
    const { token } = await mintedLink(requestedAt);
    expect(await inspectSignInLink(stack.orm.em.fork(), token)).toEqual({ refused: 'expired' });
    expect(await signInWithLink(stack.orm.em.fork(), token)).toEqual({ refused: 'expired' });
    // Still good one second before its end.
    const fresh = await mintedLink(new Date(Date.now() - SIGN_IN_LINK_TTL_MS + 5000));
    expect(await signInWithLink(stack.orm.em.fork(), fresh.token)).not.toHaveProperty('refused');
  });

  it('refuses a wrong token: unknown, one character changed, or cut short', async () => {
    const { token } = await mintedLink();
    const changed = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(await signInWithLink(stack.orm.em.fork(), generateSignInToken())).toEqual({ refused: 'unknown' });
    expect(await signInWithLink(stack.orm.em.fork(), changed)).toEqual({ refused: 'unknown' });
    expect(await signInWithLink(stack.orm.em.fork(), token.slice(0, -1))).toEqual({ refused: 'not_a_link' });
    expect(await inspectSignInLink(stack.orm.em.fork(), token)).not.toHaveProperty('refused');
  });

  it('refuses another credential: a portal session token, an API key, a link token under another prefix', async () => {
    const { customer, token } = await mintedLink();
    const session = await issuePortalSession(stack.orm.em.fork(), { customerId: customer.id, expiresInSeconds: 600, returnUrl: null, openedBy: { id: null, role: 'sales' } });
    for (const other of [session.token, generateApiKeySecret(), `cps_${token.slice(4)}`, `PSL_${token.slice(4)}`, '', 'psl_']) {
      expect(await signInWithLink(stack.orm.em.fork(), other)).toEqual({ refused: 'not_a_link' });
    }
    expect(await inspectSignInLink(stack.orm.em.fork(), token)).not.toHaveProperty('refused');
  });
});
