import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { Customer, Price } from '../../db/entities';
import { newId } from '../../db/ids';
import type { QuoteContent, QuoteDiscount, QuoteLine, QuotePayment, QuoteSigner, SigningOrder } from '../../domain/quote';
import { addQuoteRecords, quoteVersionInput, startQuoteWorkflow } from '../../services/quotes/start-quote';
import type { QuoteVersionInput } from '../../workflows/quote/contract';

const DAY = 86_400_000;

export const OWNER = { name: 'Sam Seller', email: 'sam@seller.example' };

export const oneTimeLine = (description: string, unitAmount: number, quantity = 1): QuoteLine => ({
  id: newId('quoteLine'),
  description,
  priceId: null,
  unitAmount,
  quantity,
  recurring: null,
});

export const recurringLine = (price: Price, quantity = 1): QuoteLine => ({
  id: newId('quoteLine'),
  description: 'Pro plan',
  priceId: price.id,
  unitAmount: price.unitAmount,
  quantity,
  recurring: { unit: price.intervalUnit!, count: price.intervalCount! },
});

export interface QuoteFixtureOptions {
  lines: QuoteLine[];
  discounts?: QuoteDiscount[];
  expiresInDays?: number;
  payment?: Partial<QuotePayment>;
  /** Default: the customer as the only signer. */
  signers?: Omit<QuoteSigner, 'id'>[];
  order?: SigningOrder;
  reminderDaysBefore?: number[];
  approvalThresholdPpm?: number;
}

/** A version's content as the API builds it. */
export function quoteContent(customer: Customer, quoteId: string, version: number, now: number, o: QuoteFixtureOptions): QuoteContent {
  const signers = o.signers ?? [{ kind: 'customer' as const, name: customer.name, email: customer.email }];
  return {
    quoteId,
    version,
    title: 'Analytics rollout',
    currency: customer.currency,
    customer: { id: customer.id, name: customer.name, email: customer.email },
    owner: OWNER,
    lines: o.lines,
    discounts: o.discounts ?? [],
    fees: [],
    taxRates: [],
    expiresAt: new Date(now + (o.expiresInDays ?? 30) * DAY).toISOString(),
    terms: 'Net terms as agreed.',
    notes: null,
    payment: { oneTime: 'charge_now', paymentTerms: 'due_on_receipt', schedule: null, subscriptionStartDate: null, ...o.payment },
    signing: { order: o.order ?? 'sequential', signers: signers.map((s, i) => ({ ...s, id: `signer_${i + 1}` })) },
  };
}

/** The records POST /v1/quotes writes, then its workflow, started on `client` (a time-skipping environment's in tests). */
export async function startQuote(orm: MikroORM, client: Client, taskQueue: string, customer: Customer, now: number, o: QuoteFixtureOptions) {
  const id = newId('quote');
  const version: QuoteVersionInput = quoteVersionInput(quoteContent(customer, id, 1, now, o), o.approvalThresholdPpm ?? 200_000);
  await orm.em.fork().transactional((em) => addQuoteRecords(em, { version, accountManagerEmail: 'am@seller.example', metadata: {}, now: new Date(now) }));
  const handle = await startQuoteWorkflow(client, taskQueue, {
    quoteId: id,
    customerId: customer.id,
    version,
    settings: { reminderDaysBefore: o.reminderDaysBefore ?? [3] },
  });
  return { id, handle, version };
}
