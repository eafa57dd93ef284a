/**
 * Who may call what: every route the app registers × every caller, declared in ONE table below and
 * checked against the real auth layer (API keys in PostgreSQL, roles from api/plugins/auth.ts).
 *
 * The routes come from the app itself (Fastify's `onRoute`, through `buildApp(deps, { onRoute })`), so
 * a new route without a row here fails the test, as does a row for a route that no longer exists.
 *
 * Callers: the three API key roles and `none` (no Authorization header; an unknown key is checked to
 * be the same). There is no customer-scoped credential yet (no portal tokens: API keys are the only
 * auth, see api/plugins/auth.ts), so there is no `customer` column; add one to `Row` when customer
 * tokens exist, and the type checker will ask for it on every row.
 *
 * Outcomes: `'allowed'` means the auth layer let the request through: any status but 401/403 (and no
 * 5xx). Requests use ids that do not exist and empty bodies, so an allowed call is a 404 or a 400 and
 * changes nothing. `401`/`403` are the exact statuses expected. `'public'` routes need no key at all.
 */
import type { FastifyInstance, HTTPMethods, RouteOptions } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../api/app';
import type { ApiKeyRole } from '../../db/entities';
import { startApiHarness, type ApiHarness } from '../support/api-harness';

type Outcome = 'allowed' | 401 | 403;
/** A protected route: each role's outcome, and always a 401 without a key. */
type Row = Record<ApiKeyRole, Outcome> & { none: 401 };
type Expectation = Row | 'public';

const all: Row = { admin: 'allowed', operator: 'allowed', sales: 'allowed', none: 401 };
const adminAndOperator: Row = { admin: 'allowed', operator: 'allowed', sales: 403, none: 401 };
const adminAndSales: Row = { admin: 'allowed', operator: 403, sales: 'allowed', none: 401 };
const adminOnly: Row = { admin: 'allowed', operator: 403, sales: 403, none: 401 };

/**
 * THE table. Keys are `METHOD /path` exactly as Fastify registers them. HEAD routes Fastify derives from
 * GET routes (`exposeHeadRoutes`) take their GET row unless they have a row of their own.
 */
const MATRIX: Record<string, Expectation> = {
  // Public: health checks and the API documentation.
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /openapi.json': 'public',
  'GET /docs': 'public',
  'HEAD /docs/': 'public', // the trailing-slash twin Fastify registers for the docs prefix (its GET is not reported)
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',
  'GET /docs/static/*': 'public',
  'HEAD /docs/static/*': 'public',

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
};

const CALLERS = ['admin', 'operator', 'sales', 'none'] as const;
type Caller = (typeof CALLERS)[number];

let api: ApiHarness;
let app: FastifyInstance;
/** Every `METHOD /path` the app registered, HEAD included. */
const registered = new Set<string>();

beforeAll(async () => {
  // The harness gives PostgreSQL with one key per role, Temporal and the worker; the app under test is
  // built on them with the route hook, the same buildApp() the harness (and api/main.ts) uses.
  api = await startApiHarness();
  app = await buildApp(
    { orm: api.orm, temporal: api.temporal, taskQueue: 'authorization-matrix-unused', logger: pino({ level: 'silent' }) },
    {
      onRoute: (route: RouteOptions) => {
        for (const method of ([] as HTTPMethods[]).concat(route.method)) registered.add(`${method} ${route.url}`);
      },
    },
  );
  await app.ready();
});
afterAll(async () => {
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

async function send(route: string, caller: Caller | 'unknown key') {
  const [method, path] = route.split(' ') as ['GET' | 'HEAD' | 'POST', string];
  const authorization =
    caller === 'none' ? undefined : caller === 'unknown key' ? 'Bearer bk_this_key_does_not_exist' : `Bearer ${api.keys[caller]}`;
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
      const seen = `${variant} as ${caller}: ${status} ${body.slice(0, 200)}`;
      if (expected === 'allowed' || expected === 'public') {
        expect({ seen, denied: status === 401 || status === 403, serverError: status >= 500 }).toEqual({ seen, denied: false, serverError: false });
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
    test('an unknown key is a 401 too', async () => {
      for (const variant of variants()) expect((await send(variant, 'unknown key')).status).toBe(401);
    });
  }
});

test('an unknown /v1 URL is a 401 without a key and a 404 with one, so it does not reveal which routes exist', async () => {
  const anonymous = await app.inject({ method: 'GET', url: '/v1/no-such-resource' });
  expect(anonymous.statusCode).toBe(401);
  const withKey = await app.inject({ method: 'GET', url: '/v1/no-such-resource', headers: { authorization: `Bearer ${api.keys.sales}` } });
  expect(withKey.statusCode).toBe(404);
});
