/**
 * The API-read baseline: a bare Fastify server answering the two benchmarked routes with canned
 * JSON, no auth, no database, no schemas. Started like the API (`node --import tsx`, the same HOST,
 * a pino logger from logger.ts at the same LOG_LEVEL), so the difference to the real routes is what
 * the API does per request: authentication, validation, the PostgreSQL query, serialization.
 * The payloads are the real API's answers for the same requests (BENCH_BARE_PAYLOADS, a JSON file
 * `{ "byId": ..., "list": ... }` written by the bench), so both send the same bytes.
 */
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../../config';
import { createLogger } from '../../logger';

async function main(): Promise<void> {
  const config = loadConfig();
  const payloadFile = process.env.BENCH_BARE_PAYLOADS;
  if (!payloadFile) throw new Error('BENCH_BARE_PAYLOADS is not set (the bench writes it)');
  const payloads = JSON.parse(readFileSync(payloadFile, 'utf8')) as { byId: unknown; list: unknown };

  const app = Fastify({ loggerInstance: createLogger('bare-api', config.logLevel) as FastifyBaseLogger });
  app.get('/v1/subscriptions/:id', async () => payloads.byId);
  app.get('/v1/subscriptions', async () => payloads.list);
  await app.listen({ host: config.api.host, port: config.api.port });

  const stop = () => void app.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
