import type { MikroORM } from '@mikro-orm/postgresql';

/** A statement run on every API request: a fixed name makes PostgreSQL parse and plan it once per connection. */
export interface PreparedStatement {
  name: string;
  text: string;
}

/** PostgreSQL's identifier limit (NAMEDATALEN - 1), which statement names share. */
export const MAX_STATEMENT_NAME_BYTES = 63;

interface PooledConnection {
  query<Row>(query: { name: string; text: string; values: unknown[] }): Promise<{ rows: Row[] }>;
}

interface KnexClient {
  acquireConnection(): Promise<PooledConnection>;
  releaseConnection(connection: PooledConnection): Promise<unknown>;
}

/**
 * Runs one statement on a connection of the ORM's own pool (so the pool size stays the configured
 * one), straight through `pg`, as a named prepared statement: no query builder, no ORM query
 * logging, no entity hydration. For the few statements every API request runs (the credential, the
 * rate-limit counters), where those layers cost more CPU than PostgreSQL's own work. Errors are
 * converted as the ORM converts its own, so PostgreSQL going away is still a ConnectionException
 * (a 503), not a 500.
 */
export async function queryRows<Row>(orm: MikroORM, statement: PreparedStatement, values: unknown[]): Promise<Row[]> {
  // PostgreSQL cuts a statement name at 63 bytes without failing: two statements whose names share
  // those bytes would then collide on a connection (one runs as the other, or a 500). A programming
  // error, refused before any connection is used, so a test of the statement finds it.
  if (Buffer.byteLength(statement.name) > MAX_STATEMENT_NAME_BYTES) {
    throw new Error(`prepared statement name "${statement.name}" is over PostgreSQL's ${MAX_STATEMENT_NAME_BYTES} bytes`);
  }
  const client = orm.em.getConnection().getKnex().client as unknown as KnexClient;
  let connection: PooledConnection;
  try {
    connection = await client.acquireConnection();
  } catch (error) {
    throw orm.em.getDriver().convertException(error as Error);
  }
  try {
    const { rows } = await connection.query<Row>({ name: statement.name, text: statement.text, values });
    return rows;
  } catch (error) {
    throw orm.em.getDriver().convertException(error as Error);
  } finally {
    await client.releaseConnection(connection);
  }
}
