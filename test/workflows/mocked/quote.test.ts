/**
 * The quote workflow on the time-skipping server with mocked activities: the calls a quote makes from
 * draft to cash (sent, signed, invoiced, paid), and a quote whose history grows long in draft that
 * continues as new and is then sent, signed and paid in the new run. The time-skipping tests beside
 * (test/workflows/quote.test.ts) run the real activities.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Customer } from '../../../db/entities';
import { quoteVersionInput } from '../../../services/quotes/start-quote';
import { invoiceCollectionOutcomeSignal } from '../../../workflows/invoice-collection/contract';
import {
  getQuoteQuery,
  quoteWorkflowId,
  sendQuoteUpdate,
  signQuoteUpdate,
  updateQuoteDraftUpdate,
  type QuoteVersionInput,
  type QuoteView,
  type QuoteWorkflowInput,
} from '../../../workflows/quote/contract';
import type { quoteWorkflow } from '../../../workflows/quote/workflow';
import { mockedActivitiesWorker, type RunningWorker } from '../../support/billing-worker';
import { eventually } from '../../support/eventually';
import { mockActivities, type MockedActivities } from '../../support/mocked-activities';
import { OWNER, oneTimeLine, quoteContent } from '../../support/quote-fixtures';
import { createTimeSkippingEnv } from '../../support/temporal-env';

const TASK_QUEUE = 'quote-mocked';

let env: TestWorkflowEnvironment;
let worker: RunningWorker;
let mocked: MockedActivities;

beforeEach(async () => {
  env = await createTimeSkippingEnv();
  mocked = mockActivities({
    recordQuoteState: () => undefined,
    sendQuoteEmails: () => undefined,
    sendQuoteReminder: () => undefined,
    createQuoteInvoice: () => ({ invoiceId: 'inv_q1' }),
    startInvoiceCollection: () => undefined,
    sendQuoteConfirmations: () => undefined,
  });
  worker = await mockedActivitiesWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, activities: mocked.activities });
});

afterEach(async () => {
  await worker?.stop();
  await env?.teardown();
});

const customer = { id: 'cus_1', name: 'Ada Buyer', email: 'ada@buyer.example', currency: 'usd' } as Customer;

async function draftVersion(quoteId: string, title = 'Analytics rollout'): Promise<QuoteVersionInput> {
  const content = quoteContent(customer, quoteId, 1, await env.currentTimeMs(), { lines: [oneTimeLine('Onboarding', 1_200_00)] });
  return quoteVersionInput({ ...content, title }, 200_000);
}

async function startQuote(quoteId: string, extra: Partial<QuoteWorkflowInput> = {}) {
  const version = await draftVersion(quoteId);
  const input: QuoteWorkflowInput = { quoteId, customerId: customer.id, version, settings: { reminderDaysBefore: [3] }, ...extra };
  await env.client.workflow.start<typeof quoteWorkflow>('quoteWorkflow', { taskQueue: TASK_QUEUE, workflowId: quoteWorkflowId(quoteId), args: [input] });
  return { version, handle: env.client.workflow.getHandle<typeof quoteWorkflow>(quoteWorkflowId(quoteId)) };
}

const signature = (contentHash: string) => ({ signerId: 'signer_1', linkId: 'link_1', linkVersion: 1, apiKeyId: null, ip: '203.0.113.7', userAgent: null, contentHash });

/** Sends the quote, has its one customer signer sign it, and pays its invoice. */
async function sendSignAndPay(handle: ReturnType<typeof env.client.workflow.getHandle<typeof quoteWorkflow>>, contentHash: string): Promise<QuoteView> {
  expect((await handle.executeUpdate(sendQuoteUpdate, { args: [{ by: OWNER.email }] })).stage).toBe('sent');
  await eventually(() => expect(mocked.names()).toContain('sendQuoteEmails'));
  // Every signer has signed: accepted, and on to payment in the write that answers the signature.
  const signed = await handle.executeUpdate(signQuoteUpdate, { args: [signature(contentHash)] });
  expect(signed.acceptedAt).not.toBeNull();
  expect(signed.stage).toBe('awaiting_payment');
  await eventually(() => expect(mocked.names()).toContain('startInvoiceCollection'));
  await handle.signal(invoiceCollectionOutcomeSignal, { invoiceId: 'inv_q1', outcome: 'paid' });
  return handle.result();
}

test('a quote sent, signed and paid: emails, invoice, collection and confirmations, with every stage recorded', async () => {
  const { version, handle } = await startQuote('quote_1');
  await eventually(() => expect(mocked.names()).toEqual(['recordQuoteState']));
  const final = await sendSignAndPay(handle, version.contentHash);
  expect(final).toMatchObject({ stage: 'fulfilled', invoiceId: 'inv_q1', paymentStatus: 'paid' });

  expect(mocked.names()).toEqual([
    'recordQuoteState', // draft
    'recordQuoteState', // sent
    'sendQuoteEmails',
    'recordQuoteState', // accepted and awaiting payment (the signing loop ends without a write of its own)
    'createQuoteInvoice',
    'recordQuoteState', // awaiting payment of its invoice
    'startInvoiceCollection',
    'sendQuoteConfirmations',
    'recordQuoteState', // fulfilled
  ]);
  const stages = (mocked.argsOf('recordQuoteState') as { state: QuoteView }[]).map((r) => r.state.stage);
  expect(stages).toEqual(['draft', 'sent', 'awaiting_payment', 'awaiting_payment', 'fulfilled']);
  expect(mocked.argsOf('sendQuoteEmails')).toEqual([{ quoteId: 'quote_1', version: 1, kind: 'quote_sent', signerIds: ['signer_1'] }]);
  expect(mocked.argsOf('createQuoteInvoice')).toEqual([{ quoteId: 'quote_1', issuedAt: expect.any(String) }]);
  expect(mocked.argsOf('startInvoiceCollection')).toEqual([
    { invoiceId: 'inv_q1', customerId: 'cus_1', collectionMethod: 'charge_automatically', ownerWorkflowId: 'quote-quote_1', reportEveryOutcome: true },
  ]);
  expect(mocked.argsOf('sendQuoteConfirmations')).toEqual([{ quoteId: 'quote_1', paidAt: expect.any(String) }]);
  expect(mocked.names()).not.toContain('sendQuoteReminder');
});

test('a draft edited until its history passes the limit continues as new, then is sent, signed and paid in the new run', async () => {
  const { version, handle } = await startQuote('quote_2', { historyEventsPerRun: 50 });
  const other = await draftVersion('quote_2', 'Analytics rollout, phase 1');
  await eventually(() => expect(mocked.names()).toEqual(['recordQuoteState']));
  const firstRunId = (await handle.describe()).runId;

  let current = version;
  let last: QuoteView | undefined;
  let runId = firstRunId;
  for (let i = 0; i < 20 && runId === firstRunId; i += 1) {
    const next = current === version ? other : version;
    last = await handle.executeUpdate(updateQuoteDraftUpdate, { args: [{ baseHash: current.contentHash, version: next, by: OWNER.email }] });
    current = next;
    runId = (await handle.describe()).runId;
  }
  expect(runId).not.toBe(firstRunId);
  const now = await handle.query(getQuoteQuery);
  expect(now).toEqual(last);
  expect(now.version.contentHash).toBe(current.contentHash);

  const final = await sendSignAndPay(handle, current.contentHash);
  expect(final.stage).toBe('fulfilled');
  // The audit trail of the first run went along: created, sent, accepted, awaiting payment, fulfilled.
  expect(final.transitions.map((t) => t.to)).toEqual(['draft', 'sent', 'accepted', 'awaiting_payment', 'fulfilled']);
  expect(mocked.argsOf('createQuoteInvoice')).toHaveLength(1);
});

test('an invoice paid while the quote writes its failed first attempt still fulfils the quote', async () => {
  const { version, handle } = await startQuote('quote_3');
  // The first charge fails; the write of "retrying" is held until the retry's success has reached the
  // workflow. Before the fix the quote went back to sleep after that write and was never fulfilled.
  const recordMock = mocked.activities['recordQuoteState'] as jest.Mock;
  const record = recordMock.getMockImplementation() as (arg: { state: QuoteView }) => Promise<void>;
  let raced = false;
  recordMock.mockImplementation(async (arg: { state: QuoteView }) => {
    await record(arg);
    if (raced || arg.state.paymentStatus !== 'retrying') return;
    raced = true;
    await handle.signal(invoiceCollectionOutcomeSignal, { invoiceId: 'inv_q1', outcome: 'paid' });
    await eventually(async () => expect((await handle.query(getQuoteQuery)).paymentStatus).toBe('paid'));
  });

  expect((await handle.executeUpdate(sendQuoteUpdate, { args: [{ by: OWNER.email }] })).stage).toBe('sent');
  expect((await handle.executeUpdate(signQuoteUpdate, { args: [signature(version.contentHash)] })).stage).toBe('awaiting_payment');
  await eventually(() => expect(mocked.names()).toContain('startInvoiceCollection'));
  await handle.signal(invoiceCollectionOutcomeSignal, { invoiceId: 'inv_q1', outcome: 'payment_failed' });
  await eventually(() => expect(raced).toBe(true));

  const final = await handle.result();
  expect(final).toMatchObject({ stage: 'fulfilled', invoiceId: 'inv_q1', paymentStatus: 'paid' });
  expect(mocked.names().filter((n) => n === 'sendQuoteConfirmations')).toHaveLength(1);
});
