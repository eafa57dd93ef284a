/**
 * Every page form that takes a card typed into it (checkout, hosted invoice, the portal's new card) has a
 * per-IP budget of its own (RATE_LIMIT_CARD_ATTEMPTS_PER_HOUR), far below the public per-minute one: a
 * card tester cycling numbers through a public checkout meets the 429 page, whatever each try answered.
 */
import { randomInt } from 'node:crypto';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { TEST_RATE_LIMITS } from '../support/rate-limits';

let api: ApiHarness;
const PER_HOUR = 2;

beforeAll(async () => {
  api = await startApiHarness({ app: { rateLimits: { ...TEST_RATE_LIMITS, cardAttemptsPerHour: PER_HOUR } } });
});
afterAll(async () => {
  await api?.close();
});

const ipBlock = randomInt(0, 250);
let ipSeq = 0;
const nextIp = () => `203.0.${ipBlock}.${++ipSeq}`;

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const card = 'card_number=4242424242424242&card_expiry=12%2F40&card_cvc=123';

test.each([
  ['a checkout', '/pay/plink_unknown'],
  ['a hosted invoice', '/invoices/in_unknown/not-a-token/pay'],
  ['the portal\'s new card', '/portal/payment-method'],
])('card tries on %s are limited per client IP, with the 429 page; another address is not held back', async (_what, url) => {
  const ip = nextIp();
  for (let i = 0; i < PER_HOUR; i++) {
    const tried = await api.app.inject({ method: 'POST', url, remoteAddress: ip, headers: form, payload: card });
    expect(tried.statusCode).not.toBe(429);
  }
  const refused = await api.app.inject({ method: 'POST', url, remoteAddress: ip, headers: form, payload: card });
  expect(refused.statusCode).toBe(429);
  expect(refused.headers['content-type']).toContain('text/html');
  expect(refused.body).toContain('Too many attempts');
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60);
  const other = await api.app.inject({ method: 'POST', url, remoteAddress: nextIp(), headers: form, payload: card });
  expect(other.statusCode).not.toBe(429);
});
