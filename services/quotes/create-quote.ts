/**
 * Creating a quote: its customer (existing, or new from the contact), its first version built and
 * priced, the records written in one transaction, then its workflow started. A quote whose workflow
 * did not start is undone (with the customer created for it): no quote is left that nothing moves.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { Customer, Quote } from '../../db/entities';
import { newId } from '../../db/ids';
import { waitUntilQuoteRecordedUpdate } from '../../workflows/quote/contract';
import type { QuoteConfig } from '../../config';
import { buildQuoteContent } from './build-quote-content';
import { priceQuoteVersion } from './price-quote-version';
import { resolveQuoteCustomer, type QuoteCustomerRequest } from './resolve-quote-customer';
import { addQuoteRecords, startQuoteWorkflow } from './start-quote';
import type { QuoteContentChanges } from './quote-input';

export interface CreateQuoteRequest extends QuoteCustomerRequest, QuoteContentChanges {
  owner: { name: string; email: string };
  account_manager_email?: string;
  metadata?: Record<string, string>;
}

export interface CreateQuoteDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  config: QuoteConfig;
  /** Bounds the wait for the workflow's first state write (the caller's answer deadline). */
  withinDeadline: <R>(call: () => Promise<R>) => Promise<R>;
  log: { warn: (obj: object, msg: string) => void };
}

/** The workflow of a new quote did not start; the quote (and any customer made for it) is undone. */
export class QuoteNotStarted extends Error {
  override readonly name = 'QuoteNotStarted';
  constructor(
    readonly quoteId: string,
    readonly startError: unknown,
  ) {
    super(`Quote ${quoteId} was not started`);
  }
}

/** Returns the new quote's id; refusals of the request are thrown before anything is written. */
export async function createQuote(
  { orm, temporal, taskQueue, config, withinDeadline, log }: CreateQuoteDeps,
  { request, callerKeyId }: { request: CreateQuoteRequest; callerKeyId: string | null },
): Promise<string> {
  const em = orm.em.fork();
  const now = new Date();
  const { customer, create } = await resolveQuoteCustomer(em, request);
  const id = newId('quote');
  const content = await buildQuoteContent(em, { quoteId: id, version: 1, customer, base: null, changes: request, now, callerKeyId });
  const version = priceQuoteVersion(content, config, customer.timeZone, now);
  // One transaction: the new customer (if any), the quote and its first version, or nothing.
  await em.transactional(async (tx) => {
    if (create) {
      tx.persist(create);
      await tx.flush();
    }
    await addQuoteRecords(tx, { version, accountManagerEmail: request.account_manager_email ?? null, metadata: request.metadata ?? {}, now });
  });
  try {
    const started = await startQuoteWorkflow(temporal, taskQueue, { quoteId: id, customerId: customer.id, version, settings: { reminderDaysBefore: config.reminderDaysBefore } });
    try {
      await withinDeadline(() => started.executeUpdate(waitUntilQuoteRecordedUpdate));
    } catch (err) {
      // The workflow is started and durable; it records its state as soon as a worker picks it up.
      log.warn({ err, quoteId: id }, 'quote started; its first state write is still pending');
    }
  } catch (err) {
    // No workflow, no quote: never leave a quote nothing will ever move.
    const cleanup = orm.em.fork();
    await cleanup.nativeDelete(Quote, { id });
    if (create) await cleanup.nativeDelete(Customer, { id: create.id });
    throw new QuoteNotStarted(id, err);
  }
  return id;
}
