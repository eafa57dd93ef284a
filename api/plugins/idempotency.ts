import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ApiError, invalidParam } from '../errors';

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyKey: string | null;
  }
  interface FastifyContextConfig {
    /**
     * Top-level fields of this route's answer that hold a credential shown once (an API key's
     * `secret`, a portal session's `token` and `url`). The stored answer keeps them as null, so a
     * replay answers the same resource without the secret and no secret rests in clear in PostgreSQL.
     */
    secretFields?: readonly string[];
  }
}

/** The answer as stored for replays: the route's secret fields nulled (see `secretFields`). */
function storableBody(payload: unknown, secretFields: readonly string[] | undefined): string {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload ?? null);
  if (!secretFields?.length) return body;
  const parsed = JSON.parse(body) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return body;
  const record = parsed as Record<string, unknown>;
  for (const field of secretFields) if (field in record) record[field] = null;
  return JSON.stringify(record);
}

/** A request that crashed mid-way leaves its key `in_progress`; after this long a retry may take it over. */
const ABANDONED_AFTER_SECONDS = 300;

interface StoredRequest {
  request_hash: string;
  status: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: unknown;
  stale: boolean;
}

const requestHash = (method: string, path: string, body: unknown): string =>
  createHash('sha256').update(`${method} ${path}\n${JSON.stringify(body ?? null)}`).digest('hex');

/**
 * Stripe's `Idempotency-Key` header on POST: the first response (2xx or 4xx) is stored per API key and
 * replayed for any repeat with the same parameters. Keys live in PostgreSQL, so every API process agrees.
 * A secret is shown once: a replay of an answer that carried one carries null in its place.
 */
export default fp(async function idempotency(app: FastifyInstance, opts: { orm: MikroORM }) {
  app.decorateRequest('idempotencyKey', null);

  app.addHook('preHandler', async (request, reply) => {
    const header = request.headers['idempotency-key'];
    if (request.method !== 'POST' || header === undefined || !request.apiKey) return;
    const key = Array.isArray(header) ? header[0] : header;
    if (!key || key.length > 255) throw invalidParam('Idempotency-Key', 'Idempotency-Key must be 1 to 255 characters.');

    const hash = requestHash(request.method, request.routeOptions.url ?? request.url, { params: request.params, body: request.body });
    const em = opts.orm.em.fork();
    const inserted = await em.execute<unknown[]>(
      `insert into idempotency_keys (api_key_id, key, method, path, request_hash, status)
       values (?, ?, ?, ?, ?, 'in_progress') on conflict do nothing returning key`,
      [request.apiKey.id, key, request.method, request.url, hash],
    );
    if (inserted.length === 1) {
      request.idempotencyKey = key;
      return;
    }

    const [stored] = await em.execute<StoredRequest[]>(
      `select request_hash, status, response_status, response_body,
              created_at < now() - make_interval(secs => ?) as stale
       from idempotency_keys where api_key_id = ? and key = ?`,
      [ABANDONED_AFTER_SECONDS, request.apiKey.id, key],
    );
    if (!stored) throw new ApiError(409, 'idempotency_error', 'idempotency_key_in_use', 'Retry: the first request with this key just finished failing.');
    if (stored.status === 'in_progress') {
      if (!stored.stale) {
        throw new ApiError(409, 'idempotency_error', 'idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed.');
      }
      // The first request died mid-way: this one takes the key over, with its own parameters.
      await em.execute(`update idempotency_keys set created_at = now(), request_hash = ? where api_key_id = ? and key = ?`, [
        hash,
        request.apiKey.id,
        key,
      ]);
      request.idempotencyKey = key;
      return;
    }
    if (stored.request_hash !== hash) {
      throw new ApiError(
        400,
        'idempotency_error',
        'idempotency_key_reused',
        'Keys for idempotent requests can only be used with the same parameters they were first used with.',
      );
    }
    reply.header('idempotent-replayed', 'true');
    return reply.status(stored.response_status ?? 200).send(stored.response_body);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const key = request.idempotencyKey;
    if (!key || !request.apiKey) return payload;
    const em = opts.orm.em.fork();
    if (reply.statusCode >= 500 || !request.answerIsFinal) {
      // A server-side failure is not an answer, nor is "pending" or "lock_timeout" (api/workflow-changes.ts):
      // let the client retry with the same key, which sends the same change and learns its outcome.
      await em.execute(`delete from idempotency_keys where api_key_id = ? and key = ?`, [request.apiKey.id, key]);
    } else {
      const body = storableBody(payload, request.routeOptions.config.secretFields);
      await em.execute(
        `update idempotency_keys set status = 'completed', response_status = ?, response_body = ?::jsonb where api_key_id = ? and key = ?`,
        [reply.statusCode, body, request.apiKey.id, key],
      );
    }
    return payload;
  });
});
