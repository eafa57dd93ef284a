/**
 * The portal's sign-in and registration forms have a limit of their own per client IP
 * (RATE_LIMIT_PORTAL_ACCESS_PER_HOUR, @fastify/rate-limit's per-route `config.rateLimit` on the shared
 * PostgreSQL counters), far below the public per-minute budget: each form counts apart, the limit
 * answers the 429 page, another address is not held back. PORTAL_REGISTRATION=off makes registration a
 * 404 page.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { TEST_RATE_LIMITS } from '../support/rate-limits';

let api: ApiHarness;
const PER_HOUR = 2;

beforeAll(async () => {
  api = await startApiHarness({ app: { rateLimits: { ...TEST_RATE_LIMITS, portalAccessPerHour: PER_HOUR }, portalRegistration: false } });
});
afterAll(async () => {
  await api?.close();
});

const ipBlock = randomInt(0, 250);
let ipSeq = 0;
const nextIp = () => `198.51.${ipBlock}.${++ipSeq}`;

/** A sign-in form post as a browser sends it: the CSRF cookie and token of the page it came from. */
async function postSignIn(ip: string): Promise<{ status: number; body: string; retryAfter: unknown }> {
  const form = await api.app.inject({ method: 'GET', url: '/portal/sign-in', remoteAddress: ip });
  expect(form.statusCode).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  const cookie = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const res = await api.app.inject({
    method: 'POST',
    url: '/portal/sign-in',
    remoteAddress: ip,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: token, email: `limit-${randomUUID()}@example.com` }).toString(),
  });
  return { status: res.statusCode, body: res.body, retryAfter: res.headers['retry-after'] };
}

test('asking for sign-in links is limited per client IP, with the 429 page; another address is not held back', async () => {
  const ip = nextIp();
  for (let i = 0; i < PER_HOUR; i++) {
    const allowed = await postSignIn(ip);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toContain('Check your email');
  }
  const refused = await postSignIn(ip);
  expect(refused.status).toBe(429);
  expect(refused.body).toContain('Too many attempts');
  expect(Number(refused.retryAfter)).toBeGreaterThan(60);
  // The form's page itself stays on the public budget.
  expect((await api.app.inject({ method: 'GET', url: '/portal/sign-in', remoteAddress: ip })).statusCode).toBe(200);
  expect((await postSignIn(nextIp())).status).toBe(200);
});

test('each limited form counts apart: using links and registering have budgets of their own', async () => {
  const ip = nextIp();
  for (let i = 0; i < PER_HOUR; i++) await postSignIn(ip);
  expect((await postSignIn(ip)).status).toBe(429);
  const link = await api.app.inject({ method: 'POST', url: '/portal/sign-in/psl_unknown', remoteAddress: ip });
  expect(link.statusCode).not.toBe(429);
  const statuses: number[] = [];
  for (let i = 0; i < PER_HOUR + 1; i++) statuses.push((await api.app.inject({ method: 'POST', url: '/portal/register', remoteAddress: ip })).statusCode);
  expect(statuses.slice(0, PER_HOUR)).not.toContain(429);
  expect(statuses[PER_HOUR]).toBe(429);
});

test('with PORTAL_REGISTRATION=off the registration page is the 404 page', async () => {
  const res = await api.app.inject({ method: 'GET', url: '/portal/register', remoteAddress: nextIp() });
  expect(res.statusCode).toBe(404);
  expect(res.headers['content-type']).toContain('text/html');
  expect(res.body).toContain('Page not found');
});
