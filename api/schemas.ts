/** Schema pieces shared by the resource plugins: the single source of validation, types and OpenAPI. */
import { Type, type Static, type TSchema } from 'typebox';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName, FilterQuery } from '@mikro-orm/core';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 instant, UTC' });

export const CurrencyCode = Type.String({
  pattern: '^[A-Za-z]{3}$',
  description: 'ISO 4217 code; returned in lower case as Stripe does',
  examples: ['usd'],
});

export const Metadata = Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), {
  description: 'Your own key-value pairs (string values)',
  maxProperties: 50,
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type IdParams = Static<typeof IdParams>;

const DEFAULT_PAGE_SIZE = 10;

export const ListQuery = {
  // Optional: a default alone still made the OpenAPI document list `limit` as required (schemathesis).
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE, description: 'Page size (1–100)' })),
  starting_after: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Cursor: the last id of the previous page' })),
};

export const listOf = <T extends TSchema>(item: T, name: string) =>
  Type.Object(
    {
      object: Type.Literal('list'),
      data: Type.Array(item),
      has_more: Type.Boolean(),
    },
    { title: `${name}List` },
  );

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

/**
 * Cursor pagination, newest first. Ids are time-ordered (UUIDv7), so "older than the cursor" is
 * simply `id < starting_after`, stable under concurrent inserts.
 */
export async function paginate<E extends { id: string }, R>(
  em: EntityManager,
  entity: EntityName<E>,
  where: FilterQuery<E>,
  query: { limit?: number; starting_after?: string },
  toResource: (row: E) => R,
): Promise<ListPage<R>> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE; // Ajv fills the default in; this is for the types
  const cursor = query.starting_after ? { id: { $lt: query.starting_after } } : {};
  const rows = await em.find(entity, { $and: [where, cursor] } as FilterQuery<E>, {
    orderBy: { id: 'desc' } as never,
    limit: limit + 1,
  });
  return { object: 'list', data: rows.slice(0, limit).map(toResource), has_more: rows.length > limit };
}

export const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

/** Drops undefined filter values, so optional query params only filter when given. */
export function definedOnly<T extends Record<string, unknown>>(filters: T): Partial<T> {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as Partial<T>;
}
