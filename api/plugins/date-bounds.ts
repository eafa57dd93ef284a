import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { invalidParam, paramPath } from '../errors';

/**
 * How far ahead any date the API takes may lie: ten years (3,653 days), the bound subscriptions'
 * start and pause dates already had. Every date a client sends ends up in a workflow's state or a
 * timer; a year-9999 resume once made a subscription's next billing date unstorable and its state
 * write failed for good. One rule for every date-time field, so a new one cannot forget it.
 */
export const MAX_DAYS_AHEAD = 3653;
const DAY_MS = 86_400_000;

interface SchemaNode {
  type?: string | string[];
  format?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}

/**
 * Every value in `value` that its schema declares a `date-time`, with its param name. The body has
 * passed validation already, so it matches the schema; a loop over an explicit stack, no recursion.
 */
export function dateTimeValues(schema: SchemaNode, value: unknown): { param: string; value: string }[] {
  const found: { param: string; value: string }[] = [];
  const stack: { schema: SchemaNode; value: unknown; path: string[] }[] = [{ schema, value, path: [] }];
  while (stack.length > 0) {
    const { schema: node, value: item, path } = stack.pop()!;
    if (typeof item === 'string' && node.format === 'date-time') found.push({ param: paramPath(path), value: item });
    for (const branch of node.anyOf ?? []) stack.push({ schema: branch, value: item, path });
    if (Array.isArray(item) && node.items) item.forEach((child, i) => stack.push({ schema: node.items!, value: child, path: [...path, String(i)] }));
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      for (const [key, child] of Object.entries(item)) {
        const childSchema = node.properties?.[key] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
        if (childSchema) stack.push({ schema: childSchema, value: child, path: [...path, key] });
      }
    }
  }
  return found;
}

/** Refuses (400, naming the field) a body date more than MAX_DAYS_AHEAD days after now. */
export default fp(async function dateBounds(app: FastifyInstance) {
  // preHandler: after schema validation, so formats are checked and the body matches its schema.
  app.addHook('preHandler', async (request) => {
    const schema = request.routeOptions.schema?.body as SchemaNode | undefined;
    if (!schema || request.body === undefined) return;
    const latest = Date.now() + MAX_DAYS_AHEAD * DAY_MS;
    for (const { param, value } of dateTimeValues(schema, request.body)) {
      if (Date.parse(value) > latest) {
        throw invalidParam(param, `Invalid ${param}: dates may lie at most ${MAX_DAYS_AHEAD} days (10 years) ahead.`, 'date_too_far_ahead');
      }
    }
  });
});
