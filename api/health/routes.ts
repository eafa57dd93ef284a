import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Readiness } from './schemas';
import type { RouteDeps } from '../route-deps';

const CHECK_TIMEOUT_MS = 2_000;

async function check(probe: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Probes need no key, and no rate limit: a load balancer polls them from one address, and /readyz must
 * answer from its own checks (a 503 naming what is down), not from the limiter's store.
 */
const PROBE = { public: true, rateLimit: false } as const;

/** Liveness (`/healthz`: the process answers) and readiness (`/readyz`: PostgreSQL and Temporal answer). */
export const healthRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm, temporal }) => {
  app.get(
    '/healthz',
    // `security: []`: public, unlike the document's default (schemathesis flagged the document saying otherwise).
    { config: PROBE, schema: { tags: ['health'], summary: 'Liveness', security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    { config: PROBE, schema: { tags: ['health'], summary: 'Readiness: database and Temporal reachable', security: [], response: { 200: Readiness, 503: Readiness } } },
    async (_request, reply) => {
      const [database, temporalCheck] = await Promise.all([
        check(() => orm.em.fork().execute('select 1')),
        // Under a gRPC deadline: the client retries an unreachable server for about 20 s, and without one
        // every probe a load balancer sends while Temporal is down would leave that retry loop running.
        check(() => temporal.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => temporal.workflowService.getSystemInfo({}))),
      ]);
      const ready = database.ok && temporalCheck.ok;
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', database, temporal: temporalCheck });
    },
  );
};
