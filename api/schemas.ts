/** Schema pieces shared by the resource plugins: the single source of validation, types and OpenAPI. */
import { Type, type Static, type TSchema } from 'typebox';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName, FilterQuery } from '@mikro-orm/core';
import { missingReference } from './errors';

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

/**
 * A gateway's payment method id (Stripe's `pm_...`, or the older `card_`, `src_`, `ba_`), never card
 * details: the pattern admits no run of 12 or more digits, so a card number (or one with a prefix
 * glued on) cannot be stored and shown back. Card numbers go to the gateway from the browser only.
 */
export const PaymentMethodId = Type.String({
  minLength: 4,
  maxLength: 255,
  pattern: '^(pm|card|src|ba)_([A-Za-z_]|[0-9]{1,11}[A-Za-z_])*[0-9]{0,11}$',
  description: 'Gateway payment method id (Stripe pm_...); in the sandbox a test method such as pm_card_visa. Never a card number.',
  examples: ['pm_card_visa'],
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type IdParams = Static<typeof IdParams>;

export const DEFAULT_PAGE_SIZE = 10;

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
  const cursor = await cursorFilter(em, entity, query.starting_after);
  const rows = await em.find(entity, { $and: [where, cursor] } as FilterQuery<E>, {
    orderBy: { id: 'desc' } as never,
    limit: limit + 1,
  });
  return { object: 'list', data: rows.slice(0, limit).map(toResource), has_more: rows.length > limit };
}

/**
 * The "older than the cursor" filter of a list. A cursor must name a record of the listed kind, as at
 * Stripe: an unknown one is a 400 on `starting_after`, not a silent first page (which a client paging
 * through would take for the start and loop on).
 */
export async function cursorFilter<E extends { id: string }>(em: EntityManager, entity: EntityName<E>, startingAfter: string | undefined): Promise<FilterQuery<E>> {
  if (startingAfter === undefined) return {} as FilterQuery<E>;
  await checkCursor(em, entity, startingAfter);
  return { id: { $lt: startingAfter } } as unknown as FilterQuery<E>;
}

/** The 400 on `starting_after` for a cursor that names no record of the listed kind (see `cursorFilter`). */
export async function checkCursor<E extends { id: string }>(em: EntityManager, entity: EntityName<E>, startingAfter: string): Promise<void> {
  const known = await em.count(entity, { id: startingAfter } as FilterQuery<E>);
  if (known === 0) throw missingReference('starting_after', 'object in this list', startingAfter);
}

export const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

/** Drops undefined filter values, so optional query params only filter when given. */
export function definedOnly<T extends Record<string, unknown>>(filters: T): Partial<T> {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A postal address (customers' billing address, the company profile's). */
export const Address = Type.Object(
  {
    line1: Type.Optional(Type.String({ maxLength: 200 })),
    line2: Type.Optional(Type.String({ maxLength: 200 })),
    city: Type.Optional(Type.String({ maxLength: 100 })),
    state: Type.Optional(Type.String({ maxLength: 100 })),
    postal_code: Type.Optional(Type.String({ maxLength: 20 })),
    country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' })),
  },
  { additionalProperties: false },
);
