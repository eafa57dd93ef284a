/**
 * Statement names on the ORM's pool (db/pooled-query.ts): PostgreSQL cuts a name at 63 bytes without
 * failing, so two longer names sharing those bytes would collide on a connection. queryRows refuses
 * such a name before it reaches a connection.
 */
import { MAX_STATEMENT_NAME_BYTES, queryRows } from '../../db/pooled-query';
import { openServiceStack, type ServiceStack } from '../support/service-stack';

let stack: ServiceStack;

beforeAll(async () => {
  stack = await openServiceStack();
});

afterAll(async () => {
  await stack?.close();
});

test('a name of 63 bytes runs; one byte more is refused, even when the first 63 bytes are a statement already prepared', async () => {
  const longest = 'n'.repeat(MAX_STATEMENT_NAME_BYTES);
  await expect(queryRows<{ answer: number }>(stack.orm, { name: longest, text: 'select 1 as answer' }, [])).resolves.toEqual([{ answer: 1 }]);
  await expect(queryRows(stack.orm, { name: `${longest}x`, text: 'select 2 as answer' }, [])).rejects.toThrow(/over PostgreSQL's 63 bytes/);
  // Bytes, not characters: 32 two-byte letters are 64 bytes.
  await expect(queryRows(stack.orm, { name: 'é'.repeat(32), text: 'select 3 as answer' }, [])).rejects.toThrow(/over PostgreSQL's 63 bytes/);
});
