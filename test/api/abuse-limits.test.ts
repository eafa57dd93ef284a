/**
 * The limits on what a caller can make the API do: rate limits per credential, per IP on public
 * routes and on failed authentications (429 with Retry-After), a deadline for receiving a request,
 * security headers, no caching of answers, and secrets shown once even through Idempotency-Key replays.
 */
import { connect, type AddressInfo } from 'node:net';
import { randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../api/app';
import { issueApiKey } from '../../services/access/api-keys';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { TEST_RATE_LIMITS } from '../support/rate-limits';

let api: ApiHarness;
let limited: FastifyInstance;
const LIMITS = { perCredentialPerSecond: 3, publicPerMinute: 4, authFailures: 3, authFailureWindowSeconds: 60, portalAccessPerHour: 2, cardAttemptsPerHour: 2 };

beforeAll(async () => {
  api = await startApiHarness();
  limited = await buildApp({ orm: api.orm, temporal: api.temporal, taskQueue: api.taskQueue, logger: pino({ level: 'silent' }), rateLimits: LIMITS });
});
afterAll(async () => {
  await limited?.close();
  await api?.close();
});

/** A client address of this test's own (documentation range, a random block per run), so counters start at zero. */
const ipBlock = randomInt(0, 250);
let ipSeq = 0;
const nextIp = () => `203.${ipBlock}.${Math.floor(++ipSeq / 250)}.${(ipSeq % 250) + 1}`;

const get = (url: string, ip: string, key?: string) =>
  limited.inject({ method: 'GET', url, remoteAddress: ip, headers: key ? { authorization: `Bearer ${key}` } : {} });

describe('rate limits', () => {
  it('limits requests per credential, each key on its own budget, with 429 and Retry-After', async () => {
    const one = (await issueApiKey(api.orm.em.fork(), 'rate test 1', 'operator')).secret;
    const two = (await issueApiKey(api.orm.em.fork(), 'rate test 2', 'operator')).secret;
    const ip = nextIp();
    // Ten at once within a one-second window of 3: even if they straddle two windows, some are refused.
    const burst = await Promise.all(Array.from({ length: 10 }, () => get('/v1/customers?limit=1', ip, one)));
    const refused = burst.filter((r) => r.statusCode === 429);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    expect(burst.filter((r) => r.statusCode === 200).length).toBeLessThanOrEqual(6);
    expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(refused[0]!.body)).toEqual({ error: { type: 'invalid_request_error', code: 'rate_limit', message: expect.stringMatching(/retry in/) } });
    // Another key from the same address has its own budget.
    expect((await get('/v1/customers?limit=1', ip, two)).statusCode).toBe(200);
  });

  it('limits public routes per client IP', async () => {
    const ip = nextIp();
    const answers = [];
    for (let i = 0; i < LIMITS.publicPerMinute + 2; i++) answers.push((await get('/v1/public/quotes/qtl_unknown', ip)).statusCode);
    expect(answers.slice(0, LIMITS.publicPerMinute)).not.toContain(429);
    expect(answers.slice(LIMITS.publicPerMinute)).toEqual([429, 429]);
    expect((await get('/v1/public/quotes/qtl_unknown', nextIp())).statusCode).not.toBe(429);
  });

  it('caps failed authentications per IP: after the cap even a valid key waits, other addresses do not', async () => {
    const ip = nextIp();
    const spellings = ['Bearer bk_guess1', 'Bearer bk_guess2', 'bearer  bk_guess3'];
    for (const authorization of spellings) {
      const r = await limited.inject({ method: 'GET', url: '/v1/customers', remoteAddress: ip, headers: { authorization } });
      expect(r.statusCode).toBe(401);
    }
    const blocked = await limited.inject({ method: 'GET', url: '/v1/api-keys', remoteAddress: ip, headers: { authorization: 'Bearer bk_guess4' } });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(1);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(LIMITS.authFailureWindowSeconds);
    const noKey = await limited.inject({ method: 'GET', url: '/v1/customers', remoteAddress: ip });
    expect(noKey.statusCode).toBe(429);
    expect((await get('/v1/customers?limit=1', ip, api.keys.admin)).statusCode).toBe(429);
    expect((await get('/v1/customers?limit=1', nextIp(), api.keys.admin)).statusCode).toBe(200);
  });

  it('documents 429 on every operation', async () => {
    const document = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
    expect(operations.length).toBeGreaterThan(50);
    for (const operation of operations) expect(operation.responses).toHaveProperty('429');
  });
});

describe('request deadline', () => {
  it('cuts off a client trickling its body one byte at a time', async () => {
    const app = await buildApp({
      orm: api.orm,
      temporal: api.temporal,
      taskQueue: api.taskQueue,
      logger: pino({ level: 'silent' }),
      requestTimeoutMs: 1_000,
      // From 127.0.0.1, which other files' 401s share: the limits are not what this checks.
      rateLimits: TEST_RATE_LIMITS,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      const started = Date.now();
      const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
      socket.write(
        `POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${api.keys.admin}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{`,
      );
      // 200 bytes at one per 200 ms would hold the connection for 40 s.
      const drip = setInterval(() => socket.writable && socket.write(' '), 200);
      const heldMs = await closed;
      clearInterval(drip);
      expect(heldMs).toBeLessThan(5_000);
      expect(received).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await app.close();
    }
  });
});

describe('headers', () => {
  it('sends security headers and no-store on API answers', async () => {
    const r = await api.app.inject({ method: 'GET', url: '/v1/customers?limit=1', headers: { authorization: `Bearer ${api.keys.admin}` } });
    expect(r.statusCode).toBe(200);
    expect(r.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
    });
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    const refused = await api.app.inject({ method: 'GET', url: '/v1/customers' });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['cache-control']).toBe('no-store');
  });
});

describe('secrets are shown once', () => {
  it('an Idempotency-Key replay of an API key answers without the secret, and none rests in the idempotency record', async () => {
    const headers = { 'Idempotency-Key': `key-${Date.now()}` };
    const first = await api.call('admin', 'POST', '/v1/api-keys', { name: 'integration', role: 'sales' }, headers);
    expect(first.status).toBe(200);
    expect(first.body.secret).toMatch(/^bk_/);
    const replay = await api.call('admin', 'POST', '/v1/api-keys', { name: 'integration', role: 'sales' }, headers);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual({ ...first.body, secret: null });
    const rows = await api.orm.em.fork().execute<{ body: string }[]>(`select response_body::text as body from idempotency_keys where key = ?`, [headers['Idempotency-Key']]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.body).not.toContain(first.body.secret);
    expect(rows[0]!.body).not.toContain(first.body.secret.slice(3));
    // The key works: it was issued once, and only its first answer showed it.
    expect((await api.app.inject({ method: 'GET', url: '/v1/customers?limit=1', headers: { authorization: `Bearer ${first.body.secret}` } })).statusCode).toBe(200);
  });

  it('a replayed portal session answers without its token or url', async () => {
    const customer = await api.call('admin', 'POST', '/v1/customers', { email: `portal-once-${Date.now()}@example.com`, name: 'Ada', currency: 'usd' });
    const headers = { 'Idempotency-Key': `portal-${Date.now()}` };
    const url = `/v1/customers/${customer.body.id}/portal-sessions`;
    const first = await api.call('admin', 'POST', url, {}, headers);
    expect(first.status).toBe(200);
    expect(first.body.token).toMatch(/^cps_/);
    const replay = await api.call('admin', 'POST', url, {}, headers);
    expect(replay.body).toEqual({ ...first.body, token: null, url: null });
    const rows = await api.orm.em.fork().execute<{ body: string }[]>(`select response_body::text as body from idempotency_keys where key = ?`, [headers['Idempotency-Key']]);
    expect(rows[0]!.body).not.toContain(first.body.token);
  });
});
