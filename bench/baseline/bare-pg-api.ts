/**
 * The second API-read baseline: a bare Fastify route that does the physical work of
 * `GET /v1/subscriptions/:id` and nothing else. It runs the same two statements the API runs for it
 * (services/subscriptions/subscription-read.ts: the ORM's SQL for the subscription and its items, as
 * the same named prepared statements) through `pg` directly, on a pool of the ORM's size, and answers
 * the API's bytes for that subscription. No auth, no rate limits, no schemas, no ORM. Started like
 * the API (`node --import tsx`, the same HOST, a pino logger at the same LOG_LEVEL), so API ÷ this is
 * what the framework layers cost over the database round trips.
 */
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import { loadConfig } from '../../config';
import { createLogger } from '../../logger';
import { openDatabase, ormConfig } from '../../db/orm';
import { subscriptionReadStatements } from '../../services/subscriptions/subscription-read';

async function main(): Promise<void> {
  const config = loadConfig();
  const payloadFile = process.env.BENCH_BARE_PAYLOADS;
  if (!payloadFile) throw new Error('BENCH_BARE_PAYLOADS is not set (the bench writes it)');
  const payloads = JSON.parse(readFileSync(payloadFile, 'utf8')) as { byId: unknown };
  // The ORM only for its metadata (the statements' column lists); it opens no connection here.
  const orm = await openDatabase(config.databaseUrl);
  const { byId, items } = subscriptionReadStatements(orm);
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: ormConfig(config.databaseUrl).pool?.max ?? 10 });

  const app = Fastify({ loggerInstance: createLogger('bare-pg-api', config.logLevel) as FastifyBaseLogger });
  app.get<{ Params: { id: string } }>('/v1/subscriptions/:id', async (request, reply) => {
    const { rows } = await pool.query({ ...byId, values: [request.params.id] });
    if (rows.length === 0) return reply.code(404).send({ error: 'not found' });
    await pool.query({ ...items, values: [request.params.id] });
    return payloads.byId;
  });
  await app.listen({ host: config.api.host, port: config.api.port });

  const stop = () => void app.close().then(() => pool.end()).then(() => orm.close(true)).then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
