/**
 * Creating a quote against real PostgreSQL and the Temporal dev server (no worker polls the queue, so
 * the started workflow stays running and never records its first state): the quote, its first version
 * and a customer made from the contact are written and the workflow runs; when the workflow cannot
 * start, the quote and the customer made for it are undone, and an existing customer is kept.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { MikroORM } from '../../../db/orm';
import { Customer, Quote, QuoteVersion } from '../../../db/entities';
import { RuleViolation } from '../../../domain/rule-violation';
import { QuoteNotStarted, createQuote, type CreateQuoteDeps, type CreateQuoteRequest } from '../../../services/quotes/create-quote';
import { quoteWorkflowId } from '../../../workflows/quote/contract';
import { openServiceStack, type ServiceStack } from '../../support/service-stack';
import { createCustomer } from '../../support/fixtures';

const TASK_QUEUE = `service-tests-${randomUUID()}`;
let stack: ServiceStack;
let orm: MikroORM;
let temporal: Client;
beforeAll(async () => {
  stack = await openServiceStack();
  ({ orm, temporal } = stack);
});
afterAll(() => stack?.close());

function deps(client: Client, warnings: string[] = []): CreateQuoteDeps {
  return {
    orm,
    temporal: client,
    taskQueue: TASK_QUEUE,
    config: { approvalThresholdPpm: 200_000, reminderDaysBefore: [3] },
    // No worker runs here: the wait for the first state write gives up at once.
    withinDeadline: (call) => Promise.race([call(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('deadline')), 200))]),
    log: { warn: (_obj, msg) => void warnings.push(msg) },
  };
}

const request = (who: Pick<CreateQuoteRequest, 'customer' | 'contact'>): CreateQuoteRequest => ({
  ...who,
  owner: { name: 'Sam Seller', email: 'sam@seller.example' },
  title: 'Analytics rollout',
  lines: [{ description: 'Onboarding workshop', unit_amount: 150_000, quantity: 2 }],
});
const contact = () => ({ name: 'Grace Hopper', email: `quote-${randomUUID()}@example.com`, currency: 'eur' });

async function failure(run: Promise<unknown>): Promise<unknown> {
  return run.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('createQuote', () => {
  it('writes the quote, its first version and the new customer, and leaves its workflow running', async () => {
    const who = contact();
    const warnings: string[] = [];
    const id = await createQuote(deps(temporal, warnings), { request: request({ contact: who }), callerKeyId: null });

    const em = orm.em.fork();
    const customer = await em.findOneOrFail(Customer, { email: who.email });
    expect(customer).toMatchObject({ name: 'Grace Hopper', currency: 'EUR', timeZone: 'UTC' });
    expect(await em.findOneOrFail(Quote, { id })).toMatchObject({ customerId: customer.id, stage: 'draft', version: 1, oneTimeTotal: 300_000, workflowId: quoteWorkflowId(id) });
    expect(await em.find(QuoteVersion, { quoteId: id })).toEqual([expect.objectContaining({ version: 1, supersededAt: null })]);

    const handle = temporal.workflow.getHandle(quoteWorkflowId(id));
    expect(await handle.describe()).toMatchObject({ type: 'quoteWorkflow', taskQueue: TASK_QUEUE, status: { name: 'RUNNING' } });
    expect(warnings).toEqual(['quote started; its first state write is still pending']);
    await handle.terminate('test done');
  });

  it('undoes the quote and the customer made for it when the workflow cannot start', async () => {
    const who = contact();
    const nowhere = new Client({ connection: temporal.connection, namespace: `missing-${randomUUID()}` });
    const err = await failure(createQuote(deps(nowhere), { request: request({ contact: who }), callerKeyId: null }));
    expect(err).toBeInstanceOf(QuoteNotStarted);
    const { quoteId } = err as QuoteNotStarted;
    const em = orm.em.fork();
    expect(await em.count(Quote, { id: quoteId })).toBe(0);
    expect(await em.count(QuoteVersion, { quoteId })).toBe(0);
    expect(await em.count(Customer, { email: who.email })).toBe(0);
  });

  it('keeps an existing customer when the workflow cannot start', async () => {
    const existing = await createCustomer(orm, { email: `quote-${randomUUID()}@example.com` });
    const nowhere = new Client({ connection: temporal.connection, namespace: `missing-${randomUUID()}` });
    const err = await failure(createQuote(deps(nowhere), { request: request({ customer: existing.id }), callerKeyId: null }));
    expect(err).toBeInstanceOf(QuoteNotStarted);
    const em = orm.em.fork();
    expect(await em.count(Quote, { customerId: existing.id })).toBe(0);
    expect(await em.count(Customer, { id: existing.id })).toBe(1);
  });

  it('refuses a request naming both a customer and a contact, writing nothing', async () => {
    const who = contact();
    const existing = await createCustomer(orm, { email: `quote-${randomUUID()}@example.com` });
    const err = await failure(createQuote(deps(temporal), { request: request({ customer: existing.id, contact: who }), callerKeyId: null }));
    expect(err).toBeInstanceOf(RuleViolation);
    expect(err).toMatchObject({ param: 'customer' });
    const em = orm.em.fork();
    expect(await em.count(Quote, { customerId: existing.id })).toBe(0);
    expect(await em.count(Customer, { email: who.email })).toBe(0);
  });
});
