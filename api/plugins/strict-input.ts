import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { invalidParam, paramPath } from '../errors';

/**
 * Input rules the route schemas alone do not enforce, found by fuzzing the API with schemathesis
 * (test/api/fuzz.test.ts) and by review. They run before schema validation, so a request breaking
 * them gets the usual 400 naming the field and no handler or query runs.
 *
 * 1. No string may contain U+0000 (PostgreSQL `text` cannot store it: a NUL in a path id, a query
 *    filter or a body field came back as a 500) or a lone UTF-16 surrogate (stored as U+FFFD while
 *    the answer echoed the original: the record and the answer disagreed).
 * 2. A JSON body has exactly the types its schema declares. The shared Ajv instance coerces types
 *    (`coerceTypes: 'array'`), which query strings and path params need ("10" → 10) but which let
 *    bodies through that the OpenAPI document forbids: `"unit_amount": null` created a free price
 *    (null → 0), `"unit_amount": true` a 1-cent one, a `null` metadata value became "".
 */

const NUL = '\u0000';
/** A UTF-16 surrogate without its partner: not a character, stored by PostgreSQL as U+FFFD, so what was echoed is not what was kept. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const stringProblem = (text: string): string | null =>
  text.includes(NUL) ? 'must not contain the NUL character (U+0000)' : LONE_SURROGATE.test(text) ? 'must be well-formed Unicode (a lone UTF-16 surrogate is not)' : null;

/**
 * The first string (or object key) in `value` that PostgreSQL would not store as sent, with its
 * param name ('' for `value` itself). A loop over an explicit stack, not recursion: the body's depth
 * is already bounded by the JSON parser, but no input should decide how deep this call stack grows.
 */
function badString(value: unknown): { param: string; problem: string } | null {
  const stack: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: item, path } = stack.pop()!;
    if (typeof item === 'string') {
      const problem = stringProblem(item);
      if (problem) return { param: paramPath(path), problem };
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    const entries = Object.entries(item);
    // Pushed in reverse so the first bad field in document order is the one named.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      // A bad key is named by its parent (`metadata`): the key itself is not printable.
      const keyProblem = stringProblem(key);
      if (keyProblem) return { param: paramPath(path), problem: keyProblem };
      stack.push({ value: child, path: [...path, key] });
    }
  }
  return null;
}

/** TypeBox's own validation of the raw body; a schema it cannot evaluate alone (a `$ref` to a shared schema) is left to Ajv. */
function typeErrors(schema: TSchema, body: unknown) {
  try {
    return Value.Errors(schema, body);
  } catch {
    return [];
  }
}

export default fp(async function strictInput(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    const parts = { params: request.params, querystring: request.query, body: request.body };
    for (const [where, value] of Object.entries(parts)) {
      const found = badString(value);
      if (found === null) continue;
      const param = found.param || where;
      throw invalidParam(param, `Invalid ${param}: strings ${found.problem}.`);
    }

    const schema = request.routeOptions.schema?.body as TSchema | undefined;
    if (!schema || request.body === undefined) return;
    // Only type mismatches: every other rule (required, formats, ranges, unions) is Ajv's, as before.
    // Inside a union (`anyOf`) a branch's type mismatch is not an error by itself; Ajv decides, unless
    // the value's type fits no branch at all: `"memo": false` for `null | string` was coerced to null
    // and cleared the memo.
    const errors = [...typeErrors(schema, request.body)];
    // Every branch failed (that is what the union error says); the value's type fits none of them when
    // each branch failed on its type itself, not on something inside (address[country] of an object branch).
    const fitsNoBranch = (union: (typeof errors)[number]): boolean => {
      const prefix = `${union.schemaPath}/anyOf/`;
      const branchOf = (e: (typeof errors)[number]) => e.schemaPath.slice(prefix.length).split('/')[0]!;
      const underUnion = errors.filter((e) => e.schemaPath.startsWith(prefix));
      const failedOnType = new Set(
        underUnion.filter((e) => e.keyword === 'type' && e.instancePath === union.instancePath && !e.schemaPath.slice(prefix.length).includes('/')).map(branchOf),
      );
      return underUnion.length > 0 && underUnion.every((e) => failedOnType.has(branchOf(e)));
    };
    const mismatch =
      errors.find((e) => e.keyword === 'type' && !e.schemaPath.includes('/anyOf/')) ??
      errors.find((e) => e.keyword === 'anyOf' && !e.schemaPath.includes('/anyOf/') && fitsNoBranch(e));
    if (mismatch) {
      // Shaped as Fastify's validation error, so the error handler names the param as for any other.
      throw Object.assign(new Error(mismatch.message), { statusCode: 400, validation: [mismatch], validationContext: 'body' }) as FastifyError;
    }
  });
});
