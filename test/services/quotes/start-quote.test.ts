/**
 * A new quote's records and workflow, against real PostgreSQL and the Temporal dev server (no worker
 * polls the queue, so a started workflow stays running): a version priced, hashed and checked against
 * the approval threshold; the quote and its first version written together or not at all; one
 * workflow per quote, ever.
 */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { MikroORM } from '../../../db/orm';
import { Quote, QuoteVersion } from '../../../db/entities';
import { newId } from '../../../db/ids';
import { quoteContentHash } from '../../../domain/quote-hash';
import { addQuoteRecords, quoteVersionInput, startQuoteWorkflow } from '../../../services/quotes/start-quote';
import { quoteWorkflowId } from '../../../workflows/quote/contract';
import { openServiceStack, type ServiceStack } from '../../support/service-stack';
import { createCustomer } from '../../support/fixtures';
import { oneTimeLine, quoteContent } from '../../support/quote-fixtures';

const TASK_QUEUE = `service-tests-${randomUUID()}`;
const NOW = Date.parse('2026-03-01T00:00:00Z');
let stack: ServiceStack;
let orm: MikroORM;
let temporal: Client;
beforeAll(async () => {
  stack = await openServiceStack();
  ({ orm, temporal } = stack);
});
afterAll(() => stack?.close());

/** A first version of a new quote: 2 × 1000 with `ratePpm` millionths off. */
async function version(ratePpm: number, thresholdPpm = 200_000) {
  const customer = await createCustomer(orm, { email: `quote-${randomUUID()}@example.com` });
  const id = newId('quote');
  const content = quoteContent(customer, id, 1, NOW, { lines: [oneTimeLine('Workshop', 1000, 2)], discounts: [{ type: 'percentage', ratePpm, couponId: null }] });
  return { customer, id, content, input: quoteVersionInput(content, thresholdPpm) };
}

describe('quoteVersionInput', () => {
  it('prices and hashes the content and asks for approval only above the threshold', async () => {
    const within = await version(200_000);
    expect(within.input).toMatchObject({ contentHash: quoteContentHash(within.content), requiresApproval: false });
    expect(within.input.totals.oneTime.total).toBe(1600);
    expect((await version(205_000)).input.requiresApproval).toBe(true);
  });
});

describe('addQuoteRecords and startQuoteWorkflow', () => {
  it('writes the draft quote with its first version, and starts quote-<id> once', async () => {
    const { customer, id, input } = await version(100_000);
    await orm.em.fork().transactional((em) => addQuoteRecords(em, { version: input, accountManagerEmail: 'am@seller.example', metadata: { deal: 'Q-1' }, now: new Date(NOW) }));
    const em = orm.em.fork();
    expect(await em.findOneOrFail(Quote, { id })).toMatchObject({ customerId: customer.id, stage: 'draft', version: 1, contentHash: input.contentHash, oneTimeTotal: 1800, workflowId: quoteWorkflowId(id) });
    expect(await em.find(QuoteVersion, { quoteId: id })).toEqual([expect.objectContaining({ version: 1, contentHash: input.contentHash })]);

    const handle = await startQuoteWorkflow(temporal, TASK_QUEUE, { quoteId: id, customerId: customer.id, version: input, settings: { reminderDaysBefore: [3] } });
    expect(await handle.describe()).toMatchObject({ workflowId: quoteWorkflowId(id), type: 'quoteWorkflow', taskQueue: TASK_QUEUE, status: { name: 'RUNNING' } });
    await expect(startQuoteWorkflow(temporal, TASK_QUEUE, { quoteId: id, customerId: customer.id, version: input, settings: { reminderDaysBefore: [3] } })).rejects.toBeInstanceOf(
      WorkflowExecutionAlreadyStartedError,
    );
    await handle.terminate('test done');
  });

  it('leaves neither the quote nor its version when the transaction fails', async () => {
    const { id, input } = await version(100_000);
    await expect(
      orm.em.fork().transactional(async (em) => {
        await addQuoteRecords(em, { version: input, accountManagerEmail: null, metadata: {}, now: new Date(NOW) });
        throw new Error('the caller failed after writing');
      }),
    ).rejects.toThrow('the caller failed after writing');
    const em = orm.em.fork();
    expect(await em.count(Quote, { id })).toBe(0);
    expect(await em.count(QuoteVersion, { quoteId: id })).toBe(0);
  });
});
