/**
 * The pages' shared foundation in a real Chromium: the layout, the sandbox card form, CSRF on every
 * POST, the per-request CSP nonce, escaping, and error pages. A test-only page is mounted on the same
 * plugin the app uses (web/pages.ts), since no product page is needed to show these.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { openDatabase, type MikroORM } from '../../db/orm';
import { webPages } from '../../web/pages';
import { renderPage } from '../../web/render';
import { formatters } from '../../web/i18n';
import { sandboxCardEntry } from '../../web/payments/card-entry';
import type { PageDeps } from '../../web/page-deps';
import { requireEnv } from '../support/env';
import { auditPage, newPage, openBrowser } from './support/browser';

jest.setTimeout(60_000);

let orm: MikroORM;
let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;
const fixture = readFileSync(join(__dirname, 'fixtures', 'card-form.eta'), 'utf8');

beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
  // A fixed "now" in 2030: test card expiry 12/34 is in the future and 01/30 in the past, whatever today is.
  const cardEntry = sandboxCardEntry(() => new Date('2030-06-15T00:00:00Z'));
  app = Fastify({ logger: false });
  await app.register(async (scope) => {
    await webPages(scope, { orm, publicUrl: 'http://127.0.0.1', secureCookies: false, cardEntry } as unknown as PageDeps);
    const { t } = formatters('en');
    const page = async (request: Parameters<typeof renderPage>[0], reply: Parameters<typeof renderPage>[1], extra: Record<string, unknown>, status = 200) => {
      const view = { raw: fixture } as unknown as string;
      return renderPage(request, reply, view, { title: 'Card form', card: await cardEntry.prepare(), echo: '', ...extra }, status);
    };
    scope.get<{ Querystring: { echo?: string } }>('/test/card', { config: { public: true } }, (request, reply) => page(request, reply, { echo: request.query.echo ?? '' }));
    scope.post('/test/card', { config: { public: true } }, async (request, reply) => {
      const result = await cardEntry.read(request.body as Record<string, unknown>, t);
      return result.ok ? page(request, reply, { result: result.paymentMethod }) : page(request, reply, { errors: result.errors }, 400);
    });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await orm?.close(true);
});

async function fillCard(page: import('playwright-core').Page, number: string, expiry = '12 / 34', cvc = '123') {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry date (MM / YY)').fill(expiry);
  await page.getByLabel('Security code (CVC)').fill(cvc);
  await page.getByRole('button', { name: 'Save card' }).click();
}

test('a page carries a fresh CSP nonce that its own script uses, and escapes what a visitor typed', async () => {
  const { context, page } = await newPage(browser);
  const attack = '<img src=x onerror=alert(1)><script>alert(2)</script>';
  const response = await page.goto(`${baseUrl}/test/card?echo=${encodeURIComponent(attack)}`);
  const csp = response!.headers()['content-security-policy'] ?? '';
  const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  // The page's own inline script, beside the card entry's (the 3-D Secure step), both nonce'd.
  expect(await page.locator('script[nonce]:not([src])').count()).toBe(1);
  expect(await page.locator('script:not([nonce])').count()).toBe(0);
  // The nonce'd script ran; the typed markup is text, not elements.
  expect(await page.locator('#echo').getAttribute('data-scripted')).toBe('yes');
  expect(await page.locator('#echo').textContent()).toBe(attack);
  expect(await page.locator('#echo img').count()).toBe(0);
  const second = await page.goto(`${baseUrl}/test/card`);
  expect(second!.headers()['content-security-policy']).not.toContain(nonce);
  await auditPage(page, 'foundation-card-form');
  await context.close();
});

test('the sandbox card form turns Stripe test numbers into sandbox tokens and names each bad field', async () => {
  const { context, page } = await newPage(browser);
  await page.goto(`${baseUrl}/test/card`);
  await fillCard(page, '4242 4242 4242 4242');
  expect(await page.locator('#token').textContent()).toBe('pm_card_visa');

  await page.goto(`${baseUrl}/test/card`);
  await fillCard(page, '4000-0000-0000-0002');
  expect(await page.locator('#token').textContent()).toBe('pm_card_chargeDeclined');

  await page.goto(`${baseUrl}/test/card`);
  await fillCard(page, '4111 1111 1111 1111', '01 / 30', '12');
  expect(await page.getByRole('alert').textContent()).toContain('Please correct the highlighted fields.');
  expect(await page.locator('#card_number-error').textContent()).toContain('Stripe test card numbers');
  expect(await page.locator('#card_expiry-error').textContent()).toBe('This card has expired.');
  expect(await page.locator('#card_cvc-error').textContent()).toContain('3 or 4 digits');
  expect(await page.getByLabel('Card number').getAttribute('aria-describedby')).toBe('card_number-error');
  await auditPage(page, 'foundation-card-form-errors');
  await context.close();
});

test('a POST without the CSRF token of a page it came from is refused with a page, not processed', async () => {
  const noToken = await fetch(`${baseUrl}/test/card`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'card_number=4242424242424242&card_expiry=12%2F34&card_cvc=123',
  });
  expect(noToken.status).toBe(403);
  const html = await noToken.text();
  expect(html).toContain('This form has expired');
  expect(html).not.toContain('pm_card_visa');

  // A token from another visitor's page does not match this visitor's cookie.
  const { context, page } = await newPage(browser);
  await page.goto(`${baseUrl}/test/card`);
  const token = await page.locator('input[name=_csrf]').getAttribute('value');
  const forged = await fetch(`${baseUrl}/test/card`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `_csrf=${encodeURIComponent(token!)}&card_number=4242424242424242&card_expiry=12%2F34&card_cvc=123`,
  });
  expect(forged.status).toBe(403);
  await context.close();
});

test('assets are served by name only', async () => {
  const css = await fetch(`${baseUrl}/assets/site.css`);
  expect(css.status).toBe(200);
  expect(css.headers.get('content-type')).toContain('text/css');
  for (const path of ['/assets/..%2f..%2fpackage.json', '/assets/%2e%2e%2fpages.ts', '/assets/SITE.CSS', '/assets/constructor', '/assets/__proto__']) {
    expect((await fetch(`${baseUrl}${path}`)).status).toBe(404);
  }
});
