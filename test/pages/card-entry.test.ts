/**
 * Card entry in a real Chromium, on a test-only page mounted on the pages plugin (web/pages.ts) with
 * the card-entry partial: the sandbox form with its simulated 3-D Secure step (with and without
 * JavaScript), and Stripe mode against stripe-mock. Chromium cannot reach js.stripe.com here, so in
 * Stripe mode the browser is handed a stand-in for Stripe.js at Stripe's own addresses: enough to
 * show the page's CSP lets Stripe's script, frames and API calls through, and that the server then
 * asks Stripe (stripe-mock) itself and refuses a SetupIntent that is not `succeeded`.
 */
import type { ChildProcess } from 'node:child_process';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Customer } from '../../db/entities';
import { webPages } from '../../web/pages';
import { renderPage } from '../../web/render';
import { formatters } from '../../web/i18n';
import { cardEntryFor, sandboxCardEntry, type CardEntry } from '../../web/payments/card-entry';
import type { PageDeps } from '../../web/page-deps';
import { createCustomer } from '../support/fixtures';
import { requireEnv } from '../support/env';
import { startStripeMock, stopProcess } from '../support/stripe-mock';
import { auditPage, newPage, openBrowser } from './support/browser';

jest.setTimeout(90_000);

/** The page: a form around the card-entry partial that shows the token it read, or the fields' errors. */
const TEMPLATE = `<section class="card narrow">
  <h1><%= it.title %></h1>
  <% if (it.result) { %><p class="alert success" role="status">Saved card: <span id="token"><%= it.result %></span></p><% } %>
  <% if (it.errors) { %><p class="alert error" role="alert"><%= it.t('common.fixErrors') %></p><% } %>
  <form method="post" action="<%= it.action %>" novalidate>
    <input type="hidden" name="_csrf" value="<%= it.csrf %>">
    <%~ include('partials/card-entry', it) %>
    <button type="submit" class="full">Save card</button>
  </form>
</section>`;

/** The sandbox's clock: a fixed day; the expiry dates below are computed from it. */
const NOW = new Date(Date.UTC(2030, 5, 15, 9, 0, 0));
const expiryMonthsFromNow = (months: number) => {
  const date = new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth() + months, 1));
  return `${String(date.getUTCMonth() + 1).padStart(2, '0')} / ${String(date.getUTCFullYear() % 100).padStart(2, '0')}`;
};

let orm: MikroORM;
let browser: Browser;
let stripeMock: ChildProcess | undefined;

/** A pages app with one card page at /test/card (?customer= names the customer the card is for). */
async function cardPageApp(cardEntry: CardEntry): Promise<{ app: FastifyInstance; baseUrl: string }> {
  const app = Fastify({ logger: false });
  await app.register(async (scope) => {
    await webPages(scope, { orm, publicUrl: 'http://127.0.0.1', secureCookies: false, cardEntry } as unknown as PageDeps);
    const { t } = formatters('en');
    type CardRequest = FastifyRequest<{ Querystring: { customer?: string } }>;
    const page = async (request: CardRequest, reply: FastifyReply, extra: Record<string, unknown>, status = 200) => {
      const customerId = request.query.customer ?? null;
      const view = { raw: TEMPLATE } as unknown as string;
      const action = customerId ? `/test/card?customer=${encodeURIComponent(customerId)}` : '/test/card';
      return renderPage(request, reply, view, { title: 'Save a card', action, card: await cardEntry.prepare({ customerId }), ...extra }, status);
    };
    scope.get('/test/card', { config: { public: true } }, (request: CardRequest, reply) => page(request, reply, {}));
    scope.post('/test/card', { config: { public: true } }, async (request: CardRequest, reply) => {
      const result = await cardEntry.read(request.body as Record<string, unknown>, t, { customerId: request.query.customer ?? null });
      return result.ok ? page(request, reply, { result: result.paymentMethod }) : page(request, reply, { errors: result.errors }, 400);
    });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, baseUrl: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
}

async function fillCard(page: Page, number: string, expiry = expiryMonthsFromNow(6), cvc = '123') {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry date (MM / YY)').fill(expiry);
  await page.getByLabel('Security code (CVC)').fill(cvc);
  await page.getByRole('button', { name: 'Save card' }).click();
}

beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stopProcess(stripeMock);
  await orm?.close(true);
});

describe('the sandbox card form', () => {
  let app: FastifyInstance;
  let baseUrl: string;

  beforeAll(async () => {
    ({ app, baseUrl } = await cardPageApp(sandboxCardEntry(() => NOW)));
  });

  afterAll(() => app.close());

  test('saves Stripe’s test Visa, typed with spaces', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${baseUrl}/test/card`);
    await auditPage(page, 'card-entry-sandbox');
    await fillCard(page, '4242 4242 4242 4242');
    expect(await page.locator('#token').textContent()).toBe('pm_card_visa');
    await auditPage(page, 'card-entry-sandbox-saved');
    await context.close();
  });

  test('asks for 3-D Secure on 4000 0025 0000 3155 and saves it once authentication is completed', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${baseUrl}/test/card`);
    await fillCard(page, '4000-0025-0000-3155');
    const dialog = page.getByRole('dialog', { name: 'Confirm your card' });
    await expect(dialog.isVisible()).resolves.toBe(true);
    await auditPage(page, 'card-entry-sandbox-3ds');
    await dialog.getByRole('button', { name: 'Complete authentication' }).click();
    await page.locator('#token').waitFor();
    expect(await page.locator('#token').textContent()).toBe('pm_card_authenticationRequiredOnSetup');
    await context.close();
  });

  test('saves 4000 0027 6000 3184 after authentication as the card whose off-session charges need it again', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${baseUrl}/test/card`);
    await fillCard(page, '4000 0027 6000 3184');
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await page.locator('#token').waitFor();
    expect(await page.locator('#token').textContent()).toBe('pm_card_authenticationRequired');
    await context.close();
  });

  test('refuses the card when authentication fails, with the reason beside the card number', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${baseUrl}/test/card`);
    await fillCard(page, '4000 0025 0000 3155');
    await page.getByRole('button', { name: 'Fail authentication' }).click();
    await page.locator('#card_number-error').waitFor();
    expect(await page.locator('#card_number-error').textContent()).toContain('Authentication failed');
    expect(await page.locator('#token').count()).toBe(0);
    await auditPage(page, 'card-entry-sandbox-3ds-failed');
    await context.close();
  });

  test('without JavaScript, a 3-D Secure card is answered with a field error asking to complete authentication', async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    await page.goto(`${baseUrl}/test/card`);
    await fillCard(page, '4000 0025 0000 3155');
    await page.locator('#card_number-error').waitFor();
    expect(await page.locator('#card_number-error').textContent()).toContain('Complete authentication to save it');
    expect(await page.getByLabel('Card number').getAttribute('aria-describedby')).toBe('card_number-error');
    expect(await page.locator('#token').count()).toBe(0);
    // A plain card needs no script at all.
    await fillCard(page, '4242424242424242');
    expect(await page.locator('#token').textContent()).toBe('pm_card_visa');
    await context.close();
  });

  test('names each bad field: other scripts’ digits, a Luhn failure, last month, a short CVC', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${baseUrl}/test/card`);
    await fillCard(page, '٤٢٤٢ ٤٢٤٢ ٤٢٤٢ ٤٢٤٢', expiryMonthsFromNow(-1), '12');
    expect(await page.locator('#card_number-error').textContent()).toContain('digits 0–9 only');
    expect(await page.locator('#card_expiry-error').textContent()).toBe('This card has expired.');
    expect(await page.locator('#card_cvc-error').textContent()).toContain('3 or 4 digits');
    await fillCard(page, '4242 4242 4242 4241');
    expect(await page.locator('#card_number-error').textContent()).toContain('mistyped digit');
    expect(await page.locator('#card_expiry-error').count()).toBe(0);
    await auditPage(page, 'card-entry-sandbox-errors');
    await context.close();
  });
});

/**
 * What the browser gets at Stripe's addresses instead of Stripe.js: the calls the page's script makes
 * (Stripe(), elements(), create('payment').mount(), confirmSetup) answered the way Stripe.js answers
 * a confirmed setup, through an iframe from js.stripe.com and a call to api.stripe.com, as Stripe does.
 */
const STRIPE_JS_STAND_IN = `window.Stripe = function (publishableKey) {
  var clientSecret = '';
  return {
    elements: function (options) {
      clientSecret = options.clientSecret;
      return { create: function () { return { mount: function (where) {
        var frame = document.createElement('iframe');
        frame.src = 'https://js.stripe.com/v3/elements-inner-card.html';
        frame.title = 'Secure payment input frame';
        where.appendChild(frame);
        where.setAttribute('data-mounted-with', publishableKey);
      } }; } };
    },
    confirmSetup: function (request) {
      var id = clientSecret.split('_secret_')[0];
      return fetch('https://api.stripe.com/v1/setup_intents/' + id + '/confirm', { method: 'POST' }).then(function () {
        return { setupIntent: { id: id, status: 'succeeded' }, returnUrl: request.confirmParams.return_url };
      });
    },
  };
};`;

async function standInForStripe(context: BrowserContext): Promise<string[]> {
  const reached: string[] = [];
  await context.route(/^https:\/\/(js|api)\.stripe\.com\//, async (route) => {
    const url = route.request().url();
    reached.push(url);
    if (url === 'https://js.stripe.com/v3/') return route.fulfill({ contentType: 'text/javascript', body: STRIPE_JS_STAND_IN });
    if (url.startsWith('https://js.stripe.com/')) return route.fulfill({ contentType: 'text/html', body: '<!DOCTYPE html><title>card</title>' });
    return route.fulfill({ contentType: 'application/json', headers: { 'access-control-allow-origin': '*' }, body: '{}' });
  });
  return reached;
}

describe('card entry through Stripe.js (against stripe-mock)', () => {
  let app: FastifyInstance;
  let baseUrl: string;
  let customer: Customer;

  beforeAll(async () => {
    const mock = await startStripeMock(requireEnv('STRIPE_MOCK_PATH'));
    stripeMock = mock.process;
    const cardEntry = cardEntryFor({
      orm,
      stripeSecretKey: 'sk_test_123',
      stripePublishableKey: 'pk_test_123',
      stripeApiBase: `http://127.0.0.1:${mock.port}`,
    });
    ({ app, baseUrl } = await cardPageApp(cardEntry));
    customer = await createCustomer(orm, { defaultPaymentMethod: null });
  });

  afterAll(() => app.close());

  test('loads Stripe.js with the page’s nonce, allowed by its CSP, and makes the customer’s Stripe customer once', async () => {
    const { context, page } = await newPage(browser);
    const reached = await standInForStripe(context);
    const response = await page.goto(`${baseUrl}/test/card?customer=${customer.id}`);
    const csp = response!.headers()['content-security-policy'] ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(csp).toMatch(/script-src 'nonce-[^']+' 'strict-dynamic' https:\/\/js\.stripe\.com/);
    expect(csp).toMatch(/frame-src [^;]*https:\/\/js\.stripe\.com[^;]*https:\/\/hooks\.stripe\.com/);
    expect(csp).toMatch(/connect-src 'self' https:\/\/api\.stripe\.com/);
    const stripeJs = page.locator('script[src="https://js.stripe.com/v3/"]');
    expect(await stripeJs.count()).toBe(1);
    expect(await stripeJs.evaluate((script) => (script as unknown as { nonce: string }).nonce)).toBe(nonce);
    expect(await page.locator('[data-card-entry="stripe"]').getAttribute('data-publishable-key')).toBe('pk_test_123');
    expect(await page.locator('[data-card-entry="stripe"]').getAttribute('data-client-secret')).toMatch(/^seti_.+_secret_/);
    // The Payment Element's frame is in the page: script and frame both got through the CSP.
    await page.locator('[data-payment-element] iframe').waitFor({ state: 'attached' });
    expect(await page.locator('[data-payment-element]').getAttribute('data-mounted-with')).toBe('pk_test_123');
    expect(reached).toEqual(['https://js.stripe.com/v3/', 'https://js.stripe.com/v3/elements-inner-card.html']);
    // No card number field of our own: the card is typed into Stripe's frame.
    expect(await page.locator('input[name=card_number]').count()).toBe(0);
    await auditPage(page, 'card-entry-stripe');

    const stored = await orm.em.fork().findOneOrFail(Customer, { id: customer.id });
    expect(stored.gatewayCustomerId).toMatch(/^cus_/);
    await page.goto(`${baseUrl}/test/card?customer=${customer.id}`);
    expect((await orm.em.fork().findOneOrFail(Customer, { id: customer.id })).gatewayCustomerId).toBe(stored.gatewayCustomerId);
    await context.close();
  });

  test('posts the SetupIntent Stripe.js confirmed, and the server refuses it while Stripe does not hold it succeeded', async () => {
    const { context, page } = await newPage(browser);
    const reached = await standInForStripe(context);
    await page.goto(`${baseUrl}/test/card?customer=${customer.id}`);
    await page.locator('[data-payment-element] iframe').waitFor({ state: 'attached' });
    await page.getByRole('button', { name: 'Save card' }).click();
    // stripe-mock answers every SetupIntent as requires_payment_method: whatever the browser said, no card.
    await page.locator('#card-error').waitFor();
    expect(await page.locator('#card-error').textContent()).toContain('Your card was not saved');
    expect(await page.locator('#token').count()).toBe(0);
    expect(reached.some((url) => /^https:\/\/api\.stripe\.com\/v1\/setup_intents\/seti_\w+\/confirm$/.test(url))).toBe(true);
    await auditPage(page, 'card-entry-stripe-refused');
    await context.close();
  });

  test('back from the bank’s page, the returned SetupIntent id is posted and checked with Stripe too', async () => {
    const { context, page } = await newPage(browser);
    await standInForStripe(context);
    await page.goto(`${baseUrl}/test/card?customer=${customer.id}&setup_intent=seti_1Returned&redirect_status=succeeded`);
    await page.locator('#card-error').waitFor();
    expect(await page.locator('#card-error').textContent()).toContain('Your card was not saved');
    await context.close();
  });

  test('a form posted without a SetupIntent (no JavaScript) asks for the card details', async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    await page.goto(`${baseUrl}/test/card?customer=${customer.id}`);
    await page.getByRole('button', { name: 'Save card' }).click();
    await page.locator('#card-error').waitFor();
    expect(await page.locator('#card-error').textContent()).toContain('Enter your card details');
    await context.close();
  });
});
