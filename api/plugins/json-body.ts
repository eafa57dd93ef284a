import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { invalidParam } from '../errors';

/**
 * How deep a JSON body may nest. The deepest body the API takes (a quote's lines with their
 * metadata) is five levels; 32 leaves room and keeps every later walk over the body (input checks,
 * schema validation, serialization) far from the stack's limit. A 6,000-level body once overflowed
 * a recursive check and answered 500.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * The deepest nesting of objects and arrays in a JSON text, found without parsing it: one pass,
 * no recursion, so a hostile body costs O(length) and nothing on the stack. Brackets inside strings
 * do not count (escapes are skipped).
 */
export function jsonNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return deepest;
}

/**
 * The JSON body parser: Fastify's own (prototype-poisoning checks included) behind a nesting limit.
 * Action endpoints (`POST /v1/subscriptions/:id/pause`) are called without a body, with or without
 * a JSON content type, as Stripe allows: an absent or empty body reads as `{}`.
 */
export default fp(async function jsonBody(app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text === '') return done(null, {});
    if (jsonNestingDepth(text) > MAX_JSON_DEPTH) {
      return done(invalidParam('body', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`, 'body_too_deep'), undefined);
    }
    return parseJson(request, text, done);
  });
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined) request.body = {};
  });
});
