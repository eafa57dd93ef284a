/**
 * The auth plugin's registration-time check (api/plugins/auth.ts): every route, under /v1 or not,
 * declares `config.roles` or `config.public: true`, or the app does not start. No database is needed:
 * the check runs as routes are registered, before any request.
 */
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import auth, { publicRoutes } from '../../api/plugins/auth';

async function appWith(register: (app: FastifyInstance) => void | Promise<void>): Promise<FastifyInstance> {
  const app = Fastify();
  // The ORM is only used to look keys up on requests; none is sent here.
  await app.register(auth, { orm: {} as MikroORM });
  await register(app);
  await app.ready();
  return app;
}

const handler = async () => ({ ok: true });

test.each([
  ['a /v1 route with neither roles nor public', '/v1/things', undefined, 'declares neither config.roles nor config.public: true'],
  ['a route outside /v1 with neither', '/metrics', undefined, 'declares neither config.roles nor config.public: true'],
  ['a route with both', '/v1/things', { public: true, roles: ['admin'] as const }, 'a public route takes no roles'],
  ['public spelled other than true', '/v1/things', { public: false }, 'config.public must be exactly true'],
  ['an empty role list', '/v1/things', { roles: [] as const }, 'config.roles must list roles'],
])('refused at registration: %s', async (_name, url, config, message) => {
  await expect(appWith((app) => void app.get(url, { config }, handler))).rejects.toThrow(message);
});

test('a route inside a plugin scope is checked as well', async () => {
  const plugin: FastifyPluginAsync = async (scope) => {
    scope.get('/v1/scoped', handler);
  };
  await expect(appWith(async (app) => void (await app.register(plugin)))).rejects.toThrow('GET /v1/scoped: declares neither');
});

test('routes with roles or public: true are accepted; publicRoutes marks a whole plugin public', async () => {
  const thirdParty: FastifyPluginAsync<{ prefix?: string }> = async (scope) => {
    scope.get('/page', handler);
    await scope.register(async (child) => void child.get('/nested', handler), { prefix: '/inner' });
  };
  const app = await appWith(async (app) => {
    app.get('/v1/things', { config: { roles: ['admin', 'sales'] } }, handler);
    app.get('/healthz', { config: { public: true } }, handler);
    await app.register(publicRoutes(thirdParty), { prefix: '/docs' });
  });
  // Public routes answer without a key; the others need one (checked before the ORM is touched).
  expect((await app.inject('/healthz')).statusCode).toBe(200);
  expect((await app.inject('/docs/page')).statusCode).toBe(200);
  expect((await app.inject('/docs/inner/nested')).statusCode).toBe(200);
  expect((await app.inject('/v1/things')).statusCode).toBe(401);
  expect((await app.inject('/%761/things')).statusCode).toBe(401);
  await app.close();
});
