import type { ServerOptions } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import errorHandler, { frameworkErrorHandler } from './plugins/error-handler';
import auth, { publicRoutes } from './plugins/auth';
import idempotency from './plugins/idempotency';
import changeIds from './plugins/change-ids';
import strictInput from './plugins/strict-input';
import jsonBody from './plugins/json-body';
import dateBounds from './plugins/date-bounds';
import securityHeaders from './plugins/security-headers';
import rateLimits from './plugins/rate-limits';
import { ErrorSchema } from './errors';
import { healthRoutes } from './health/routes';
import { v1Routes } from './v1';
import { routeDeps } from './route-deps';
import type { CancellationMode } from './cancellation-requests/actions';
import { DEFAULT_INVOICE_NUMBER_FORMAT, type InvoiceNumberFormat } from '../services/invoices/invoice-numbering';
import { invoiceLinkSigner } from '../services/access/invoice-links';
import { webPages } from '../web/pages';
import { sandboxCardEntry, type CardEntry } from '../web/payments/card-entry';
import { DEFAULT_QUOTE_CONFIG, DEFAULT_RATE_LIMITS, type QuoteConfig, type RateLimits } from '../config';

export interface AppDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  /** How long a request waits for a workflow to answer an update (default 10 s). */
  workflowAnswerTimeoutMs?: number;
  /** Invoice numbers given at finalize (default INV- and 6 digits); the worker must use the same. */
  invoiceNumbering?: InvoiceNumberFormat;
  /** Signing secret of the Stripe webhook endpoint (whsec_...); unset turns `POST /v1/webhooks/stripe` off. */
  stripeWebhookSecret?: string;
  /** Quotes' approval threshold and reminders (QUOTE_APPROVAL_DISCOUNT_PERCENT, QUOTE_REMINDER_DAYS); DEFAULT_QUOTE_CONFIG when absent. */
  quotes?: QuoteConfig;
  /** Customers' cancellation requests wait for an operator (`approval`, default) or apply at once (`immediate`). */
  cancellationRequests?: CancellationMode;
  /** The customer portal's address: a portal session's `url` is this with `#token=...` (default: this API's origin + `/portal`). */
  portalUrl?: string;
  /**
   * LINK_SIGNING_SECRET: signs invoices' `hosted_invoice_url` (under `publicUrl`) and checks the hosted
   * invoice pages' links (services/access/invoice-links.ts). api/main.ts always passes it; absent (tests of
   * other things), no invoice has a hosted link (`hosted_invoice_url` null) and every hosted invoice link is a 404.
   */
  linkSigningSecret?: string;
  /** Abuse limits (RATE_LIMIT_*); DEFAULT_RATE_LIMITS when absent. */
  rateLimits?: RateLimits;
  /** A request must arrive whole within this (REQUEST_TIMEOUT_MS, default 30 s): a client trickling its body is cut off with 408. */
  requestTimeoutMs?: number;
  /** Fastify's `trustProxy` (TRUST_PROXY): which proxies' X-Forwarded-For to believe for the client IP (true, or addresses/CIDRs, comma-separated). */
  trustProxy?: boolean | string;
  /** The address customers reach this app at (PUBLIC_URL): links in pages start with it (default http://127.0.0.1:3000). */
  publicUrl?: string;
  /** How the customer pages take a card (default: the sandbox card form). */
  cardEntry?: CardEntry;
  /** PORTAL_REGISTRATION: whether new customers may register at /portal/register (default true). */
  portalRegistration?: boolean;
}

/** Requests are checked for their deadline this often (Node checks every 30 s by default, too coarse for a short timeout). */
const timeoutCheckInterval = (requestTimeoutMs: number) => Math.max(250, Math.min(30_000, Math.floor(requestTimeoutMs / 4)));

export interface BuildAppOptions {
  /**
   * Sees every route as it is registered (Fastify's `onRoute` hook, added before any route exists).
   * Not used by the API itself: the authorization-matrix test lists the app's routes with it.
   */
  onRoute?: (route: RouteOptions) => void;
}

type Operation = {
  requestBody?: { required?: boolean; content?: Record<string, { schema?: { required?: unknown[] } }> };
  responses?: Record<string, unknown>;
};

/**
 * What @fastify/swagger cannot make from the route schemas alone:
 * - it marks every request body required, but an absent body reads as `{}` here (plugins/json-body.ts):
 *   a body without required fields (`POST /v1/subscriptions/{id}/cancel`) may be left out, and the
 *   document says so (schemathesis flagged the API accepting a "missing" body);
 * - every operation may answer 429 (plugins/rate-limits.ts), which no route declares itself;
 * - a 202 (a change pending: api/workflow-changes.ts) comes with Retry-After and Idempotency-Key headers.
 */
function documentApiWideBehaviour<T extends { paths?: object }>(document: T): T {
  for (const pathItem of Object.values(document.paths ?? {}) as Record<string, unknown>[]) {
    for (const operation of Object.values(pathItem) as (Operation | undefined)[]) {
      if (typeof operation !== 'object' || operation === null) continue;
      const body = operation.requestBody;
      if (body && !Object.values(body.content ?? {}).some((media) => media.schema?.required?.length)) body.required = false;
      // A route that changes a workflow's record answers 202 (pending) with when and how to learn the outcome.
      const pending = operation.responses?.['202'] as { headers?: object } | undefined;
      if (pending) {
        pending.headers = {
          'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before retrying with the same Idempotency-Key' },
          'Idempotency-Key': { schema: { type: 'string' }, description: 'The key to retry with, made up by the API when the request had none' },
        };
      }
      operation.responses = {
        ...operation.responses,
        '429': {
          description: 'Rate limited: wait for the Retry-After header (seconds) and retry',
          headers: { 'Retry-After': { schema: { type: 'integer' } } },
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      };
    }
  }
  return document;
}

/** The HTTP API. Stateless: every process built from the same deps answers the same way. */
export async function buildApp(deps: AppDeps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the app's type the default one plugins expect.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    requestTimeout: deps.requestTimeoutMs ?? 30_000,
    http: { headersTimeout: deps.requestTimeoutMs ?? 30_000, connectionsCheckingInterval: timeoutCheckInterval(deps.requestTimeoutMs ?? 30_000) } as ServerOptions,
    trustProxy: deps.trustProxy ?? false,
    // Path parameters are bounded by the routes' schemas (a 400 naming the param), not by the router: past
    // its default 100 characters it would fall through to the /v1 catch-all (api/plugins/auth.ts), a 404.
    routerOptions: { maxParamLength: 16 * 1024 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();
  const { onRoute } = options;
  if (onRoute) app.addHook('onRoute', (route) => onRoute(route));

  await app.register(errorHandler);
  // First of the preHandler hooks: the later ones and the handler run in the request's change scope.
  await app.register(changeIds);
  await app.register(securityHeaders);
  // Before auth: the cap on failed authentications is checked before any credential is looked up.
  const limits = deps.rateLimits ?? DEFAULT_RATE_LIMITS;
  await app.register(rateLimits, { orm: deps.orm, limits });
  // Before any route: it checks every route's access rule as the route is registered.
  await app.register(auth, { orm: deps.orm, authFailureCap: limits.authFailures });

  await app.register(jsonBody);
  app.addSchema(ErrorSchema);
  await app.register(strictInput);
  await app.register(dateBounds);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Billing orchestrator API',
        version: '1.0.0',
        description:
          'Amounts are integer minor units. Authenticate with `Authorization: Bearer <API key>`. ' +
          'POSTs accept an `Idempotency-Key` header. Lists are paginated with `limit` and `starting_after`. ' +
          'No string may contain the NUL character (U+0000).',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'API key (bk_...)' },
          portalSession: { type: 'http', scheme: 'bearer', description: 'Customer portal session token (cps_...), for /v1/portal routes only' },
        },
      },
      security: [{ apiKey: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transformObject: (document) => ('openapiObject' in document ? documentApiWideBehaviour(document.openapiObject) : document.swaggerObject),
  });
  await app.register(publicRoutes(swaggerUi), { routePrefix: '/docs' });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  await app.register(idempotency, { orm: deps.orm });

  // Built once: every resource gets the same ORM, Temporal client and answer deadline.
  const publicUrl = (deps.publicUrl ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const invoiceLinks = deps.linkSigningSecret ? invoiceLinkSigner({ publicUrl, secret: deps.linkSigningSecret }) : null;
  const routes = routeDeps({ ...deps, invoiceLinks });
  await app.register(healthRoutes, routes);
  await app.register(v1Routes, {
    prefix: '/v1',
    deps: routes,
    invoiceNumbering: deps.invoiceNumbering ?? DEFAULT_INVOICE_NUMBER_FORMAT,
    stripeWebhookSecret: deps.stripeWebhookSecret,
    quotes: deps.quotes ?? DEFAULT_QUOTE_CONFIG,
    cancellationRequests: deps.cancellationRequests ?? 'approval',
    portalUrl: deps.portalUrl,
    publicUrl,
  });
  await app.register(webPages, {
    ...routes,
    publicUrl,
    secureCookies: publicUrl.startsWith('https:'),
    cardEntry: deps.cardEntry ?? sandboxCardEntry(),
    cardAttemptLimit: { max: limits.cardAttemptsPerHour, timeWindow: 3_600_000 },
    portal: {
      registration: deps.portalRegistration ?? true,
      cancellationRequests: deps.cancellationRequests ?? 'approval',
      accessPerHour: limits.portalAccessPerHour,
    },
    invoiceNumbering: deps.invoiceNumbering ?? DEFAULT_INVOICE_NUMBER_FORMAT,
  });

  return app;
}
