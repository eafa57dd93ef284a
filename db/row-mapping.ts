import type { EntityMetadata, EntityName, EntityProperty, MikroORM } from '@mikro-orm/core';

type Convert = (value: unknown) => unknown;
type Column = readonly [property: string, field: string, convert: Convert];

const columnsByEntity = new WeakMap<EntityMetadata, readonly Column[]>();
const asIs: Convert = (value) => value;

/** The conversion the ORM's hydrator applies to a column value (custom types, booleans, dates). */
function conversionOf(orm: MikroORM, prop: EntityProperty): Convert {
  const platform = orm.em.getPlatform();
  const { customType } = prop;
  if (customType) return (value) => customType.convertToJSValue(value, platform);
  if (prop.runtimeType === 'boolean') return (value) => !!value;
  // PostgreSQL answers timestamptz as text with its offset (the ORM installs that parser on `pg`).
  if (prop.runtimeType === 'Date') return (value) => (value instanceof Date ? value : new Date(value as string));
  return asIs;
}

function columnsOf(orm: MikroORM, meta: EntityMetadata): readonly Column[] {
  let columns = columnsByEntity.get(meta);
  if (!columns) {
    columns = meta.props
      .filter((prop) => prop.kind === 'scalar' && prop.persist !== false && prop.fieldNames?.length === 1)
      .map((prop) => [prop.name, prop.fieldNames[0]!, conversionOf(orm, prop)] as const);
    columnsByEntity.set(meta, columns);
  }
  return columns;
}

/** The columns of an entity's scalar properties, in the order of its metadata: what `scalarRecord` reads. */
export function scalarColumns<T extends object>(orm: MikroORM, entity: EntityName<T>): string[] {
  return columnsOf(orm, orm.getMetadata().get(entity)).map(([, field]) => field);
}

/**
 * An entity's scalar properties read from a row of its table (its `scalarColumns`), each converted as the ORM
 * converts it when it hydrates an entity (column names and types from the ORM's metadata), but as a
 * plain object: no EntityManager, no identity map, no change tracking. For answering reads, where a
 * managed entity would cost more CPU than the query; relations are left out.
 */
export function scalarRecord<T extends object>(orm: MikroORM, entity: EntityName<T>, row: Record<string, unknown>): T {
  const record: Record<string, unknown> = {};
  for (const [property, field, convert] of columnsOf(orm, orm.getMetadata().get(entity))) {
    const value = row[field];
    record[property] = value === null || value === undefined ? null : convert(value);
  }
  return record as T;
}
