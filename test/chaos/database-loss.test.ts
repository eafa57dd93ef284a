/**
 * What the API answers when PostgreSQL goes away under a request, as the fault injection found it:
 * every way `pg` reports a lost server (through MikroORM's DriverException) is a 503, never a 500.
 * The end-to-end check is the postgres-outage scenario in faults.test.ts; these are the error shapes
 * it met (collected from a pool while the server was stopped and started again), pinned down.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { DriverException } from '@mikro-orm/core';
import errorHandler from '../../api/plugins/error-handler';

const withCode = (message: string, code?: string): Error => Object.assign(new Error(message), code === undefined ? {} : { code });

const SERVER_GONE: [string, Error][] = [
  ['a query cut off by the shutdown (57P01)', withCode('select 1 - terminating connection due to administrator command', '57P01')],
  ['a pooled connection closed mid-query (no code)', withCode('select 1 - Connection terminated unexpectedly')],
  ['a broken pooled connection reused', withCode('Client has encountered a connection error and is not queryable')],
  ['the server shutting down (57P03)', withCode('the database system is shutting down', '57P03')],
  ['the server starting up (57P03)', withCode('the database system is starting up', '57P03')],
  ['nothing listening (ECONNREFUSED)', withCode('connect ECONNREFUSED 127.0.0.1:5433', 'ECONNREFUSED')],
  ['a reset connection (ECONNRESET)', withCode('read ECONNRESET', 'ECONNRESET')],
  ['no free connection in time', withCode('Knex: Timeout acquiring a connection. The pool is probably full.')],
];

describe('the database going away under a request', () => {
  let app: FastifyInstance;
  let next: Error;

  beforeAll(async () => {
    app = Fastify({ logger: false });
    await app.register(errorHandler);
    app.get('/query', async () => {
      throw next;
    });
    await app.ready();
  });
  afterAll(() => app.close());

  test.each(SERVER_GONE)('%s is a 503', async (_name, cause) => {
    next = new DriverException(cause);
    const response = await app.inject({ method: 'GET', url: '/query' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: { type: 'api_error', code: 'service_unavailable' } });
  });

  test('other database errors are still 500s', async () => {
    next = new DriverException(withCode('column "nope" does not exist', '42703'));
    const response = await app.inject({ method: 'GET', url: '/query' });
    expect(response.statusCode).toBe(500);
  });
});
