import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import errorHandler from './plugins/error-handler';
import auth from './plugins/auth';
import idempotency from './plugins/idempotency';
import { ErrorSchema } from './errors';
import { healthRoutes } from './routes/health';
import { customersRoutes } from './routes/customers';
import { productsRoutes } from './routes/products';
import { pricesRoutes } from './routes/prices';
import { subscriptionsRoutes } from './routes/subscriptions';
import { invoicesRoutes } from './routes/invoices';
import { paymentsRoutes } from './routes/payments';
import { emailsRoutes } from './routes/emails';
import { apiKeysRoutes } from './routes/api-keys';

export interface AppDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  /** How long a request waits for a workflow to answer an update (default 10 s). */
  workflowAnswerTimeoutMs?: number;
}

/** The HTTP API. Stateless: every process built from the same deps answers the same way. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the app's type the default one plugins expect.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(errorHandler);

  // Action endpoints (`POST /v1/subscriptions/:id/pause`) are called without a body, with or without
  // a JSON content type, as Stripe allows: an absent or empty body reads as `{}`.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, {}) : parseJson(request, body as string, done),
  );
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined) request.body = {};
  });
  app.addSchema(ErrorSchema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Billing orchestrator API',
        version: '1.0.0',
        description:
          'Amounts are integer minor units. Authenticate with `Authorization: Bearer <API key>`. ' +
          'POSTs accept an `Idempotency-Key` header. Lists are paginated with `limit` and `starting_after`.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API key (bk_...)' } } },
      security: [{ apiKey: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(auth, { orm: deps.orm });
  await app.register(idempotency, { orm: deps.orm });

  await app.register(healthRoutes, { orm: deps.orm, temporal: deps.temporal });
  await app.register(customersRoutes, { orm: deps.orm });
  await app.register(productsRoutes, { orm: deps.orm });
  await app.register(pricesRoutes, { orm: deps.orm });
  await app.register(subscriptionsRoutes, {
    orm: deps.orm,
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    workflowAnswerTimeoutMs: deps.workflowAnswerTimeoutMs ?? 10_000,
  });
  await app.register(invoicesRoutes, { orm: deps.orm });
  await app.register(paymentsRoutes, { orm: deps.orm });
  await app.register(emailsRoutes, { orm: deps.orm });
  await app.register(apiKeysRoutes, { orm: deps.orm });

  return app;
}
