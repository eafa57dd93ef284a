/**
 * Who may call what: every route the app registers × every caller, declared in ONE table below and
 * checked against the real auth layer (API keys in PostgreSQL, roles from api/plugins/auth.ts).
 *
 * The routes come from the app itself (Fastify's `onRoute`, through `buildApp(deps, { onRoute })`), so
 * a new route without a row here fails the test, as does a row for a route that no longer exists.
 *
 * Callers: the three API key roles, `customer (<role>)` (a customer portal session's token, cps_..., see
 * api/plugins/portal-auth.ts) and `none` (no Authorization header; an unknown key and an unknown portal token
 * are checked to be the same). Staff routes refuse a portal token (401) and the `/v1/portal` routes
 * refuse every API key (401): the two credentials never stand in for each other.
 *
 * Outcomes: `'allowed'` means the auth layer let the request through: any status but 401/403 (and no
 * 5xx). Requests use ids that do not exist and empty bodies, so an allowed call is a 404 or a 400 and
 * changes nothing. `401`/`403` are the exact statuses expected. `'public'` routes need no key at all.
 *
 * Spellings: the router matches more than the canonical URL (find-my-way decodes %-escapes in the path
 * and reads the path out of an absolute-form request line), so every route is also called, by every
 * caller, with other spellings that reach the same handler (see `spellings`), over a real socket, and
 * each must answer exactly the status the canonical spelling gets: the gate is decided on the route,
 * never on how the URL is written. (Double slashes, `/./` segments, `;` and an upper-case `/V1` do not
 * route, and a trailing slash reaches a different route or none: those are 404s, not spellings.)
 */
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, HTTPMethods, RouteOptions } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../api/app';
import type { ApiKeyRole } from '../../db/entities';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { TEST_RATE_LIMITS } from '../support/rate-limits';
import { en } from '../../web/i18n/en';

type Outcome = 'allowed' | 401 | 403;
/** A protected route: each role's outcome, a portal session's, and always a 401 without a key. */
/** A portal session, opened by a key of that role: it may never do more than that role (api/portal-permissions.ts). */
type PortalCaller = `customer (${ApiKeyRole})`;
type Row = Record<ApiKeyRole | PortalCaller, Outcome> & { none: 401 };
type Expectation = Row | 'public';

// Staff routes: a portal session's token is no API key (401).
const noPortal = { 'customer (admin)': 401, 'customer (operator)': 401, 'customer (sales)': 401 } as const;
const all: Row = { admin: 'allowed', operator: 'allowed', sales: 'allowed', ...noPortal, none: 401 };
const adminAndOperator: Row = { admin: 'allowed', operator: 'allowed', sales: 403, ...noPortal, none: 401 };
const adminAndSales: Row = { admin: 'allowed', operator: 403, sales: 'allowed', ...noPortal, none: 401 };
const adminOnly: Row = { admin: 'allowed', operator: 403, sales: 403, ...noPortal, none: 401 };
/** The customer portal: a portal session only; an API key of any role is no session (401). */
const portalSession: Row = { admin: 401, operator: 401, sales: 401, 'customer (admin)': 'allowed', 'customer (operator)': 'allowed', 'customer (sales)': 'allowed', none: 401 };
/** A portal action whose staff route is for admins and operators: a session a sales key opened is refused it (403). */
const portalSessionNotSales: Row = { ...portalSession, 'customer (sales)': 403 };

/**
 * THE table. Keys are `METHOD /path` exactly as Fastify registers them. HEAD routes Fastify derives from
 * GET routes (`exposeHeadRoutes`) take their GET row unless they have a row of their own.
 */
const MATRIX: Record<string, Expectation> = {
  // Public: health checks and the API documentation.
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /openapi.json': 'public',
  // Customer pages (web/): a page authenticates by its link's token or the portal's cookie, not a key.
  'GET /assets/:name': 'public',
  'GET /brand/logo': 'public',
  // The customer portal's pages (web/portal): a one-time link or the session cookie, never an API key.
  'GET /portal': 'public',
  'GET /portal/sign-in': 'public',
  'POST /portal/sign-in': 'public',
  'GET /portal/sign-in/:token': 'public',
  'POST /portal/sign-in/:token': 'public',
  'POST /portal/session': 'public',
  'POST /portal/sign-out': 'public',
  'GET /portal/register': 'public',
  'POST /portal/register': 'public',
  'GET /portal/payment-method': 'public',
  'POST /portal/payment-method': 'public',
  'GET /portal/billing-details': 'public',
  'POST /portal/billing-details': 'public',
  'GET /portal/invoices': 'public',
  'GET /portal/invoices/:id': 'public',
  'POST /portal/invoices/:id/pay': 'public',
  'POST /portal/invoices/:id/pay-with-card': 'public',
  'GET /portal/invoices/:id/pdf': 'public',
  'GET /portal/subscriptions': 'public',
  'GET /portal/subscriptions/:id': 'public',
  'POST /portal/subscriptions/:id/pause': 'public',
  'POST /portal/subscriptions/:id/resume': 'public',
  'POST /portal/subscriptions/:id/cancel': 'public',
  // The hosted invoice page: its link's token is the credential (services/access/invoice-links.ts).
  'GET /invoices/:id/:token': 'public',
  'GET /invoices/:id/:token/pdf': 'public',
  'POST /invoices/:id/:token/pay': 'public',
  // Checkout pages of payment links: anyone with the link; the confirmation is reached by the form's token.
  'GET /pay/:linkId': 'public',
  'POST /pay/:linkId': 'public',
  'GET /pay/:linkId/complete/:token': 'public',
  'GET /docs': 'public',
  'HEAD /docs/': 'public', // the trailing-slash twin Fastify registers for the docs prefix (its GET is not reported)
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',
  'GET /docs/static/*': 'public',
  'HEAD /docs/static/*': 'public',

  // Any other /v1 URL (the catch-all in api/plugins/auth.ts): a key of any role, then a 404, so an
  // anonymous caller cannot tell which routes exist. Allowed here means the 404.
  'GET /v1/*': all,
  'POST /v1/*': all,
  'PUT /v1/*': all,
  'PATCH /v1/*': all,
  'DELETE /v1/*': all,
  'OPTIONS /v1/*': all,

  // Customers: sales create and read them; operators read.
  'POST /v1/customers': adminAndSales,
  'GET /v1/customers': all,
  'GET /v1/customers/:id': all,
  // Saving a card: sales take it over the phone, operators when fixing a failed payment.
  'POST /v1/customers/:id/payment-method': all,

  // Catalog: admin writes, everyone reads.
  'POST /v1/products': adminOnly,
  'GET /v1/products': all,
  'GET /v1/products/:id': all,
  'POST /v1/prices': adminOnly,
  'GET /v1/prices': all,
  'GET /v1/prices/:id': all,
  'POST /v1/prices/:id': adminOnly,
  'POST /v1/prices/:id/duplicate': adminOnly,
  'POST /v1/coupons': adminOnly,
  'GET /v1/coupons': all,
  'GET /v1/coupons/:id': all,
  'POST /v1/coupons/:id': adminOnly,
  'DELETE /v1/coupons/:id': adminOnly,
  'POST /v1/tax-rates': adminOnly,
  'GET /v1/tax-rates': all,
  'GET /v1/tax-rates/:id': all,
  'POST /v1/tax-rates/:id': adminOnly,

  // Subscriptions: sales create, operators act on them, everyone reads.
  'POST /v1/subscriptions': adminAndSales,
  'GET /v1/subscriptions': all,
  'GET /v1/subscriptions/:id': all,
  'POST /v1/subscriptions/:id/pause': adminAndOperator,
  'POST /v1/subscriptions/:id/resume': adminAndOperator,
  'POST /v1/subscriptions/:id/cancel': adminAndOperator,
  'POST /v1/subscriptions/:id/undo-cancel': adminAndOperator,
  'POST /v1/subscriptions/:id/collection-method': adminAndOperator,
  // Cancellation requests: anyone talking to the customer records one; operators decide.
  'POST /v1/subscriptions/:id/cancellation-requests': all,
  'GET /v1/cancellation-requests': all,
  'GET /v1/cancellation-requests/:id': all,
  'POST /v1/cancellation-requests/:id/approve': adminAndOperator,
  'POST /v1/cancellation-requests/:id/reject': adminAndOperator,
  // A discount is a commercial term: those who sell subscriptions give and remove it; everyone may preview.
  'POST /v1/subscriptions/:id/discount': adminAndSales,
  'DELETE /v1/subscriptions/:id/discount': adminAndSales,
  'GET /v1/subscriptions/:id/upcoming-invoice': all,
  // Plan changes: sales upgrade their customers, operators fix plans; everyone may preview and read.
  'POST /v1/subscriptions/:id/change-plan': all,
  'POST /v1/subscriptions/:id/change-plan/preview': all,
  'GET /v1/subscriptions/:id/plan-changes': all,

  // Billing records: read-only for every role.
  'GET /v1/invoices': all,
  'GET /v1/invoices/:id': all,
  // One-off invoices: sales (and admins) draft them, anyone may preview; operators may also finalize.
  'POST /v1/invoices': adminAndSales,
  'POST /v1/invoices/preview': all,
  'POST /v1/invoices/:id': adminAndSales,
  'DELETE /v1/invoices/:id': adminAndSales,
  'POST /v1/invoices/:id/finalize': all,
  'GET /v1/invoices/:id/pdf': all,
  // Collection: anyone may look and (re)send the invoice; operators steer dunning and record money.
  'GET /v1/invoices/:id/collection': all,
  'POST /v1/invoices/:id/send': all,
  'POST /v1/invoices/:id/void': adminAndOperator,
  'POST /v1/invoices/:id/mark-uncollectible': adminAndOperator,
  'POST /v1/invoices/:id/mark-paid': adminAndOperator,
  'POST /v1/invoices/:id/retry-payment': adminAndOperator,
  'POST /v1/invoices/:id/skip-retry': adminAndOperator,
  'POST /v1/invoices/:id/extend-grace': adminAndOperator,
  'GET /v1/payments': all,
  'GET /v1/payments/:id': all,
  'GET /v1/payments/:id/receipt.pdf': all,
  // Refunds move money back: admins and operators issue them, everyone reads them.
  'POST /v1/refunds': adminAndOperator,
  'GET /v1/refunds': all,
  'GET /v1/refunds/:id': all,

  // The email outbox holds customers' receipts: not for sales.
  'GET /v1/emails': adminAndOperator,
  'GET /v1/emails/:id': adminAndOperator,

  // API keys: admin only.
  'POST /v1/api-keys': adminOnly,
  'GET /v1/api-keys': adminOnly,
  'POST /v1/api-keys/:id/revoke': adminOnly,

  // Company profile (branding): everyone reads it, only admins change it.
  'GET /v1/company-profile': all,
  'PUT /v1/company-profile': adminOnly,

  // Stripe webhooks: public, authenticated by the Stripe-Signature header instead of a key. The events
  // they leave (unroutable ones included) are for operators.
  'POST /v1/webhooks/stripe': 'public',
  'GET /v1/webhook-events': adminAndOperator,
  'GET /v1/webhook-events/:id': adminAndOperator,
  'POST /v1/webhook-events/:id/retry': adminAndOperator,

  // Instalment plans: sales set them up with the customer; operators change and steer them; everyone reads.
  'POST /v1/instalment-plans': all,
  'POST /v1/instalment-plans/preview': all,
  'GET /v1/instalment-plans': all,
  'GET /v1/instalment-plans/balances': all,
  'GET /v1/instalment-plans/:id': all,
  'POST /v1/instalment-plans/:id/instalments/:number': adminAndOperator,
  'DELETE /v1/instalment-plans/:id/instalments/:number': adminAndOperator,
  'POST /v1/instalment-plans/:id/reschedule': adminAndOperator,
  'POST /v1/instalment-plans/:id/pay-early': adminAndOperator,
  'POST /v1/instalment-plans/:id/pay-off': adminAndOperator,
  'POST /v1/instalment-plans/:id/cancel': adminAndOperator,
  'POST /v1/instalment-plans/:id/pause': adminAndOperator,
  'POST /v1/instalment-plans/:id/resume': adminAndOperator,

  // Payment links: sales (and admins) make and edit them; everyone reads.
  'POST /v1/payment-links': adminAndSales,
  'GET /v1/payment-links': all,
  'GET /v1/payment-links/:id': all,
  'POST /v1/payment-links/:id': adminAndSales,

  // Quotes: sales (and admins) write them, operators read; only admins approve a discount above the threshold.
  'POST /v1/quotes': adminAndSales,
  'POST /v1/quotes/preview': all,
  'GET /v1/quotes': all,
  'GET /v1/quotes/:id': all,
  'POST /v1/quotes/:id': adminAndSales,
  'POST /v1/quotes/:id/lines': adminAndSales,
  'DELETE /v1/quotes/:id/lines/:line_id': adminAndSales,
  'POST /v1/quotes/:id/send': adminAndSales,
  'POST /v1/quotes/:id/revise': adminAndSales,
  'POST /v1/quotes/:id/void': adminAndSales,
  'POST /v1/quotes/:id/countersign': adminAndSales,
  'POST /v1/quotes/:id/approve': adminOnly,
  'POST /v1/quotes/:id/reject': adminOnly,
  'GET /v1/onboarding-tasks': all,
  'GET /v1/onboarding-tasks/:id': all,
  // The customer's side of a quote: no key (none → allowed, a 404 for an unknown token); the link's token is the credential.
  'GET /v1/public/quotes/:token': 'public',
  'POST /v1/public/quotes/:token/sign': 'public',
  'POST /v1/public/quotes/:token/decline': 'public',
  // The same link's acceptance page (web/quotes/): no key, the token is the credential; an unknown one is the 404 page.
  'GET /quotes/:token': 'public',
  'GET /quotes/:token/pdf': 'public',
  'POST /quotes/:token/sign': 'public',
  'POST /quotes/:token/decline': 'public',

  // Customer portal: staff who talk to the customer open a session for it (and end one early)...
  'POST /v1/customers/:id/portal-sessions': all,
  'POST /v1/customers/:id/portal-sessions/:session/revoke': all,
  // ...and the session alone opens the portal, on its own customer's records, doing only what the role
  // that opened it may do through the staff routes (pause, resume, collection method, charging: operators').
  'GET /v1/portal/customer': portalSession,
  'POST /v1/portal/payment-method': portalSession,
  'GET /v1/portal/subscriptions': portalSession,
  'GET /v1/portal/subscriptions/:id': portalSession,
  'POST /v1/portal/subscriptions/:id/pause': portalSessionNotSales,
  'POST /v1/portal/subscriptions/:id/resume': portalSessionNotSales,
  'POST /v1/portal/subscriptions/:id/cancel': portalSession,
  'POST /v1/portal/subscriptions/:id/collection-method': portalSessionNotSales,
  'GET /v1/portal/invoices': portalSession,
  'GET /v1/portal/invoices/:id': portalSession,
  'GET /v1/portal/invoices/:id/pdf': portalSession,
  'POST /v1/portal/invoices/:id/pay': portalSessionNotSales,
};

const CALLERS = ['admin', 'operator', 'sales', 'customer (admin)', 'customer (operator)', 'customer (sales)', 'none'] as const;
type Caller = (typeof CALLERS)[number];

let api: ApiHarness;
let app: FastifyInstance;
/** Where the app listens for the spellings that need a real request line (light-my-request rewrites an absolute-form URL). */
let origin: { host: string; port: number };
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
/** Portal sessions, one opened by each role, of a customer that has no subscriptions or invoices: the `customer (<role>)` callers. */
const portalTokens = {} as Record<ApiKeyRole, string>;
/** Every `METHOD /path` the app registered, HEAD included. */
const registered = new Set<string>();

beforeAll(async () => {
  // The harness gives PostgreSQL with one key per role, Temporal and the worker; the app under test is
  // built on them with the route hook, the same buildApp() the harness (and api/main.ts) uses.
  api = await startApiHarness();
  const customer = await api.call('sales', 'POST', '/v1/customers', { email: 'authz-portal@example.com', name: 'Portal caller', currency: 'usd' });
  for (const role of ['admin', 'operator', 'sales'] as const) {
    portalTokens[role] = (await api.call(role, 'POST', `/v1/customers/${customer.body.id}/portal-sessions`)).body.token;
    expect(portalTokens[role]).toMatch(/^cps_/);
  }
  app = await buildApp(
    { orm: api.orm, temporal: api.temporal, taskQueue: 'authorization-matrix-unused', logger: pino({ level: 'silent' }), rateLimits: TEST_RATE_LIMITS },
    {
      onRoute: (route: RouteOptions) => {
        for (const method of ([] as HTTPMethods[]).concat(route.method)) registered.add(`${method} ${route.url}`);
      },
    },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as AddressInfo;
  origin = { host: address.address, port: address.port };
});
afterAll(async () => {
  agent.destroy();
  await app?.close();
  await api?.close();
});

/** The row for a registered route: its own, or for a derived HEAD route its GET's. */
function expectationFor(route: string): Expectation | undefined {
  if (route in MATRIX) return MATRIX[route];
  return route.startsWith('HEAD ') ? MATRIX[`GET ${route.slice(5)}`] : undefined;
}

/** A concrete URL for a route pattern: ids that exist nowhere, a real file for the docs wildcard. */
const concreteUrl = (path: string): string => path.replace(/:(\w+)/g, 'authz_missing_$1').replace(/\*$/, 'swagger-ui.css');

/** `%xx` for one character, in upper- or lower-case hex. */
const percent = (char: string, upper: boolean): string => {
  const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? hex.toUpperCase() : hex}`;
};

/**
 * Request targets the router sends to the same route as `path`'s canonical URL: the `v` or the `1` of
 * `/v1` encoded, the static segments encoded (lower- and upper-case hex), and absolute-form request
 * lines (`GET http://host/v1/...`), plain and encoded. Parameters keep their canonical value.
 */
function spellings(path: string): { name: string; target: string }[] {
  const segments = path.split('/');
  const encodeStatic = (encode: (segment: string) => string) =>
    concreteUrl(segments.map((segment) => (segment === '' || segment.startsWith(':') || segment === '*' ? segment : encode(segment))).join('/'));
  const canonical = concreteUrl(path);
  const encodedFirst = encodeStatic((segment) => percent(segment[0]!, false) + segment.slice(1));
  const encodedAll = encodeStatic((segment) => [...segment].map((char) => percent(char, true)).join(''));
  const result = [
    { name: 'first letter of each static segment encoded', target: encodedFirst },
    { name: 'every static character encoded, upper-case hex', target: encodedAll },
    { name: 'absolute-form request line', target: `http://billing.example${canonical}` },
    { name: 'absolute-form request line, encoded', target: `HTTPS://billing.example:8443${encodedFirst}` },
  ];
  if (canonical.startsWith('/v1/')) {
    result.unshift(
      { name: '/%761', target: `/%761${canonical.slice(3)}` },
      { name: '/v%31', target: `/v%31${canonical.slice(3)}` },
      { name: 'absolute-form request line, /v%31', target: `http://billing.example/v%31${canonical.slice(3)}` },
    );
  }
  return result;
}

/**
 * The status a spelling must answer: the canonical one. Except the docs' static files: @fastify/static
 * finds the file from the raw URL, so another spelling reaches the (public) handler and is a 404 there.
 */
function spellingStatus(path: string, canonical: number, seen: number): number {
  return path === '/docs/static/*' && seen === 404 ? 404 : canonical;
}

/** One request over a real socket, with `target` as the request line's target exactly as given. */
function sendRaw(method: string, target: string, authorization: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = authorization ? { authorization } : {};
    const body = method === 'POST' ? '{}' : undefined;
    if (body) headers['content-type'] = 'application/json';
    const req = httpRequest({ ...origin, agent, method, path: target, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function authorizationOf(caller: Caller | 'unknown key' | 'unknown portal token'): string | undefined {
  return caller === 'none'
    ? undefined
    : caller === 'unknown key'
      ? 'Bearer bk_this_key_does_not_exist'
      : caller === 'unknown portal token'
        ? 'Bearer cps_this_session_does_not_exist'
        : caller.startsWith('customer (')
          ? `Bearer ${portalTokens[caller.slice('customer ('.length, -1) as ApiKeyRole]}`
          : `Bearer ${api.keys[caller as ApiKeyRole]}`;
}

async function send(route: string, caller: Caller | 'unknown key' | 'unknown portal token') {
  const [method, path] = route.split(' ') as ['GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS', string];
  const authorization = authorizationOf(caller);
  const response = await app.inject({
    method,
    url: concreteUrl(path),
    headers: authorization ? { authorization } : {},
    ...(method === 'POST' ? { payload: {} } : {}),
  });
  return { status: response.statusCode, body: response.body };
}

test('every route the app registers has a row in the table, and every row is a registered route', () => {
  expect(registered.size).toBeGreaterThan(0);
  const withoutRow = [...registered].filter((route) => expectationFor(route) === undefined).sort();
  expect(withoutRow).toEqual([]);
  const stale = Object.keys(MATRIX).filter((route) => !registered.has(route)).sort();
  expect(stale).toEqual([]);
});

describe.each(Object.entries(MATRIX))('%s', (route, expectation) => {
  // The route itself and, when Fastify derived one, its HEAD twin, which must answer the same way.
  const variants = () => [route, ...(route.startsWith('GET ') && registered.has(`HEAD ${route.slice(4)}`) && !(`HEAD ${route.slice(4)}` in MATRIX) ? [`HEAD ${route.slice(4)}`] : [])];

  test.each(CALLERS)('%s', async (caller) => {
    const expected: Outcome | 'public' = expectation === 'public' ? 'public' : expectation[caller];
    for (const variant of variants()) {
      const { status, body } = await send(variant, caller);
      // Every other spelling of the same route answers exactly as the canonical one.
      const [method, path] = variant.split(' ') as [string, string];
      // The spellings side by side: the requests change nothing, and one at a time they were the file's time.
      const seenSpellings = await Promise.all(
        spellings(path).map(async ({ name, target }) => ({
          spelling: `${method} ${target} (${name}) as ${caller}`,
          status: (await sendRaw(method, target, authorizationOf(caller))).status,
        })),
      );
      expect(seenSpellings).toEqual(seenSpellings.map((seen) => ({ spelling: seen.spelling, status: spellingStatus(path, status, seen.status) })));
      const seen = `${variant} as ${caller}: ${status} ${body.slice(0, 200)}`;
      if (expected === 'allowed' || expected === 'public') {
        // A page's form POST without the CSRF token its page carries is refused by the pages' own check
        // (web/pages.ts) before the route runs: a 403 page, not the auth layer's refusal.
        const csrfRefused = expected === 'public' && variant.startsWith('POST ') && status === 403 && body.includes(en.common.forbiddenTitle);
        expect({ seen, denied: (status === 401 || status === 403) && !csrfRefused, serverError: status >= 500 }).toEqual({ seen, denied: false, serverError: false });
        // No side effects: an allowed write hit a missing id or an empty body.
        if (variant.startsWith('POST ')) expect({ seen, clientError: status >= 400 && status < 500 }).toEqual({ seen, clientError: true });
      } else {
        expect({ seen, status }).toEqual({ seen, status: expected });
        if (!variant.startsWith('HEAD ')) {
          const error = JSON.parse(body).error;
          expect(error.type).toBe(expected === 401 ? 'authentication_error' : 'permission_error');
        }
      }
    }
  });

  if (expectation !== 'public') {
    test('an unknown key or portal token is a 401 too', async () => {
      for (const variant of variants()) {
        expect((await send(variant, 'unknown key')).status).toBe(401);
        expect((await send(variant, 'unknown portal token')).status).toBe(401);
        const [method, path] = variant.split(' ') as [string, string];
        const seen = await Promise.all(
          spellings(path).map(async ({ name, target }) => ({
            spelling: `${method} ${target} (${name})`,
            statuses: await Promise.all(['unknown key' as const, 'unknown portal token' as const].map(async (caller) => (await sendRaw(method, target, authorizationOf(caller))).status)),
          })),
        );
        expect(seen).toEqual(seen.map(({ spelling }) => ({ spelling, statuses: [401, 401] })));
      }
    });
  }
});

test('an unknown /v1 URL is a 401 without a key and a 404 with one, so it does not reveal which routes exist', async () => {
  const anonymous = await app.inject({ method: 'GET', url: '/v1/no-such-resource' });
  expect(anonymous.statusCode).toBe(401);
  const withKey = await app.inject({ method: 'GET', url: '/v1/no-such-resource', headers: { authorization: `Bearer ${api.keys.sales}` } });
  expect(withKey.statusCode).toBe(404);
  // The same for every spelling the router reads as a /v1 URL.
  for (const { name, target } of spellings('/v1/no-such-resource')) {
    const statuses = { spelling: name, anonymous: (await sendRaw('GET', target, undefined)).status, withKey: (await sendRaw('GET', target, `Bearer ${api.keys.sales}`)).status };
    expect(statuses).toEqual({ spelling: name, anonymous: 401, withKey: 404 });
  }
});
