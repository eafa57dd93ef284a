/**
 * Quotes on the time-skipping test server with the real activities, PostgreSQL, the sandbox gateway
 * and the outbox mailer: sent, signed, paid, expired, declined, revised, approved and split into a
 * payment schedule, weeks of waiting played out in seconds.
 *
 * Rejected updates (wrong token, a superseded version, signing twice, an expired quote) are tested
 * through the API on the dev server (test/api/quotes.test.ts): the time-skipping server answers a
 * rejected update with "update not found".
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Email, Instalment, InstalmentPlan, Invoice, OnboardingTask, Quote, QuoteLink, QuoteSignature, QuoteVersion, Subscription } from '../../db/entities';
import {
  approveQuoteUpdate,
  declineQuoteUpdate,
  getQuoteQuery,
  reviseQuoteUpdate,
  sendQuoteUpdate,
  signQuoteUpdate,
  voidQuoteUpdate,
  type SignQuoteRequest,
} from '../../workflows/quote/contract';
import { quoteVersionInput } from '../../services/quotes/start-quote';
import { invoiceCollectionWorkflowId, recordOfflinePaymentUpdate } from '../../workflows/invoice-collection/contract';
import { requireEnv } from '../support/env';
import { eventually } from '../support/eventually';
import { testBillingWorker } from '../support/billing-worker';
import { createTimeSkippingEnv } from '../support/temporal-env';
import { createCustomer, createRecurringPrice } from '../support/fixtures';
import { CapturingMailer } from '../support/capturing-mailer';
import { issueApiKey } from '../../services/access/api-keys';
import { OWNER, oneTimeLine, quoteContent, recurringLine, startQuote, type QuoteFixtureOptions } from '../support/quote-fixtures';

const TASK_QUEUE = 'quote-test';
const DAY = 86_400_000;

let env: TestWorkflowEnvironment;
let orm: MikroORM;
let worker: Worker;
let workerRun: Promise<void>;
let mailer: CapturingMailer;
/** The internal signer, bound to an API key of their own (the only key that countersigns as them). */
let COUNTERSIGNER: { kind: 'internal'; name: string; email: string; apiKeyId: string };

beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
  const key = await issueApiKey(orm.em.fork(), 'Carla (sales)', 'sales');
  COUNTERSIGNER = { kind: 'internal', name: 'Carla Countersign', email: 'carla@seller.example', apiKeyId: key.key.id };
});

afterAll(async () => {
  await orm?.close(true);
});

// A time-skipping server per test: one test's leftover timers (subscriptions, plans) cannot stall another's clock.
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  mailer = new CapturingMailer();
  worker = await testBillingWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, orm, mailer });
  workerRun = worker.run();
});

afterEach(async () => {
  worker?.shutdown();
  await workerRun;
  await env?.teardown();
});

const quoteRow = (id: string) => orm.em.fork().findOneOrFail(Quote, { id });
const emailsOf = (id: string) => orm.em.fork().find(Email, { relatedId: id }, { orderBy: { createdAt: 'asc' } });
const emailKinds = async (id: string) => (await emailsOf(id)).map((e) => `${e.kind} ${e.to}`).sort();


async function start(o: QuoteFixtureOptions, customerFields = {}) {
  const customer = await createCustomer(orm, customerFields);
  const now = await env.currentTimeMs();
  return { customer, now, ...(await startQuote(orm, env.client, TASK_QUEUE, customer, now, o)) };
}

/** The first signer signing through their own link for `version` (as the API sends it once the link is resolved). */
async function customerSigns(quoteId: string, version: number, contentHash: string): Promise<SignQuoteRequest> {
  const link = await eventually(async () => {
    const found = await orm.em.fork().findOne(QuoteLink, { quoteId, version, signerId: 'signer_1' }, { orderBy: { createdAt: 'desc' } });
    expect(found).not.toBeNull();
    return found!;
  });
  return { signerId: link.signerId, linkId: link.id, linkVersion: link.version, apiKeyId: null, ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)', contentHash };
}
const countersigns = (contentHash: string, signerId = 'signer_2'): SignQuoteRequest => ({
  signerId,
  linkId: null,
  linkVersion: null,
  apiKeyId: COUNTERSIGNER.apiKeyId,
  ip: '198.51.100.2',
  userAgent: null,
  contentHash,
});
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

test('happy path: sent, signed by the customer, countersigned, charged now, subscription started, both confirmations sent', async () => {
  const price = await createRecurringPrice(orm, { unitAmount: 25_00 });
  const { id, handle, version, customer } = await start({
    lines: [oneTimeLine('Onboarding workshop', 500_00), recurringLine(price, 2)],
    signers: [{ kind: 'customer', name: 'Ada Lovelace', email: 'ada@example.com' }, COUNTERSIGNER],
    order: 'sequential',
  });
  expect(version.totals.oneTime.total).toBe(500_00);
  expect(version.totals.recurring).toEqual([{ interval: { unit: 'month', count: 1 }, subtotal: 50_00, taxTotal: 0, total: 50_00 }]);

  const sent = await handle.executeUpdate(sendQuoteUpdate, { args: [{ by: OWNER.email }] });
  expect(sent.stage).toBe('sent');
  // The customer signer gets the acceptance email with their own link; only the token's hash is
  // stored, and the outbox keeps the email with the token redacted.
  await eventually(async () => expect(await emailKinds(id)).toEqual([`quote_sent ${customer.email}`]));
  const [invitation] = await emailsOf(id);
  const [token] = mailer.quoteLinkTokens(`quote_sent:${id}:`);
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(invitation!.text).toMatch(/\/\/[^/\s]+\/quotes\/\[redacted\]/); // the acceptance page's link
  expect(`${invitation!.subject}${invitation!.text}${invitation!.html}`).not.toContain(token);
  const [link] = await orm.em.fork().find(QuoteLink, { quoteId: id });
  expect(link).toMatchObject({ tokenHash: sha256(token!), signerId: 'signer_1', version: 1, signerEmail: 'ada@example.com' });

  const signing = await handle.executeUpdate(signQuoteUpdate, { args: [await customerSigns(id, 1, version.contentHash)] });
  expect(signing.stage).toBe('signing');
  expect(signing.waitingFor).toContain(COUNTERSIGNER.email);
  await handle.executeUpdate(signQuoteUpdate, { args: [countersigns(version.contentHash)] });

  const final = await handle.result();
  expect(final.stage).toBe('fulfilled');
  expect(final.transitions.map((t) => t.to)).toEqual(['draft', 'sent', 'signing', 'accepted', 'awaiting_payment', 'fulfilled']);
  expect(final.transitions[3]!.reason).toContain('every signer has signed');
  expect(final.paymentStatus).toBe('paid');

  const quote = await quoteRow(id);
  expect(quote).toMatchObject({ stage: 'fulfilled', invoiceId: final.invoiceId, subscriptionIds: final.subscriptionIds });
  expect(quote.timeline).toHaveLength(6);
  const invoice = await orm.em.fork().findOneOrFail(Invoice, { id: quote.invoiceId! });
  expect(invoice).toMatchObject({ status: 'paid', total: 500_00, amountPaid: 500_00, customerId: customer.id, collectionMethod: 'charge_automatically' });

  expect(quote.subscriptionIds).toHaveLength(1);
  const subscription = await orm.em.fork().findOneOrFail(Subscription, { id: quote.subscriptionIds[0]! });
  expect(subscription).toMatchObject({ customerId: customer.id, intervalUnit: 'month', intervalCount: 1, metadata: { quote: id } });
  const running = await env.client.workflow.getHandle(subscription.workflowId).describe();
  expect(running.status.name).toBe('RUNNING');

  const signatures = await orm.em.fork().find(QuoteSignature, { quoteId: id }, { orderBy: { signedAt: 'asc' } });
  // What proves who signed: the signer's own link or API key, the IP and user agent, the version's hash.
  expect(signatures.map((s) => [s.kind, s.email, s.linkId, s.apiKeyId, s.ip, s.userAgent, s.version, s.contentHash, s.superseded])).toEqual([
    ['customer', 'ada@example.com', link!.id, null, '203.0.113.7', 'Mozilla/5.0 (test)', 1, version.contentHash, false],
    ['internal', COUNTERSIGNER.email, null, COUNTERSIGNER.apiKeyId, '198.51.100.2', null, 1, version.contentHash, false],
  ]);

  expect(await emailKinds(id)).toEqual(
    [
      `quote_sent ${customer.email}`,
      `quote_paid ${customer.email}`,
      `quote_paid_owner ${OWNER.email}`,
      `quote_welcome ${customer.email}`,
      'quote_onboarding am@seller.example',
    ].sort(),
  );
  const confirmation = (await emailsOf(id)).find((e) => e.kind === 'quote_paid')!;
  expect(confirmation.text).toContain('$500.00');
  const task = await orm.em.fork().findOneOrFail(OnboardingTask, { quoteId: id });
  expect(task).toMatchObject({ customerId: customer.id, assigneeEmail: 'am@seller.example', status: 'open' });

  // `RECORD_HISTORIES=1 npm test` refreshes the fixture that test/replay replays on every run.
  if (process.env.RECORD_HISTORIES === '1') {
    writeFileSync(join(__dirname, '../replay/histories/quote-happy-path.json'), historyToJSON(await handle.fetchHistory()));
  }
});

test('an unsigned quote is reminded 3 days before its expiry date, then expires on it', async () => {
  const { id, handle, customer } = await start({ lines: [oneTimeLine('Audit', 900_00)], expiresInDays: 10, reminderDaysBefore: [3] });
  await handle.executeUpdate(sendQuoteUpdate, { args: [{ by: OWNER.email }] });

  const final = await handle.result(); // skips to the reminder, then to the expiry date
  expect(final.stage).toBe('expired');
  expect(final.remindersSent).toEqual(['1:3']);
  const expiry = final.transitions.at(-1)!;
  expect(expiry).toMatchObject({ from: 'sent', to: 'expired', by: 'system' });
  const late = Date.parse(expiry.at) - Date.parse(final.version.content.expiresAt);
  expect(late).toBeGreaterThanOrEqual(0);
  expect(late).toBeLessThan(1000);

  expect(await emailKinds(id)).toEqual([`quote_reminder ${customer.email}`, `quote_sent ${customer.email}`]);
  const reminder = (await emailsOf(id)).find((e) => e.kind === 'quote_reminder')!;
  expect(reminder.key).toBe(`quote_reminder:${id}:1:3:signer_1`);
  expect(reminder.text).toMatch(/\/\/[^/\s]+\/quotes\/\[redacted\]/);
  expect(mailer.quoteLinkTokens(`quote_reminder:${id}:`)).toHaveLength(1); // delivered with a working token
  expect(await orm.em.fork().count(QuoteLink, { quoteId: id, signerId: 'signer_1', version: 1 })).toBe(2); // one link per email, both the same signer's
  expect(await quoteRow(id)).toMatchObject({ stage: 'expired', invoiceId: null });
  expect((await quoteRow(id)).expiredAt).not.toBeNull();
});

test('a customer signer declines: the quote closes with the reason and nothing is invoiced', async () => {
  const { id, handle, customer } = await start({ lines: [oneTimeLine('Audit', 900_00)] });
  await handle.executeUpdate(sendQuoteUpdate, { args: [{ by: OWNER.email }] });
  await handle.executeUpdate(declineQuoteUpdate, { args: [{ name: customer.name, email: customer.email, reason: 'Budget frozen' }] });
  const final = await handle.result();
  expect(final.stage).toBe('declined');
  expect(final.transitions.at(-1)!.reason).toBe(`declined by ${customer.email}: Budget frozen`);
  expect(await quoteRow(id)).toMatchObject({ stage: 'declined', declineReason: 'Budget frozen', invoiceId: null });
  expect(await orm.em.fork().count(Invoice, { customerId: customer.id })).toBe(0);
});

test('a revision supersedes the signed version: its signature stops counting and the new version is signed again', async () => {
  const lines = [oneTimeLine('Implementation', 2_000_00)];
  const options = { lines, signers: [{ kind: 'customer' as const, name: 'Ada Lovelace', email: 'ada@example.com' }, COUNTERSIGNER] };
  const { id, handle, version: v1, customer, now } = await start(options);
  await handle.executeUpdate(sendQuoteUpdate, { args: [{ by: OWNER.email }] });
  await handle.executeUpdate(signQuoteUpdate, { args: [await customerSigns(id, 1, v1.contentHash)] });

  // Sales lower the price while the countersignature is still pending.
  const v2 = quoteVersionInput(quoteContent(customer, id, 2, now, { ...options, lines: [{ ...lines[0]!, unitAmount: 1_800_00 }] }), 200_000);
  expect(v2.contentHash).not.toBe(v1.contentHash);
  const revised = await handle.executeUpdate(reviseQuoteUpdate, { args: [{ baseHash: v1.contentHash, version: v2, by: OWNER.email, reason: 'lower implementation fee' }] });
  expect(revised.stage).toBe('sent');
  expect(revised.signatures).toEqual([expect.objectContaining({ version: 1, superseded: true })]);
  expect(revised.waitingFor).toContain('ada@example.com'); // the customer signs first again
  await eventually(async () => expect(await emailKinds(id)).toEqual([`quote_revised ${customer.email}`, `quote_sent ${customer.email}`]));

  await handle.executeUpdate(signQuoteUpdate, { args: [await customerSigns(id, 2, v2.contentHash)] });
  await handle.executeUpdate(signQuoteUpdate, { args: [countersigns(v2.contentHash)] });
  const final = await handle.result();
  expect(final.stage).toBe('fulfilled');
  expect(final.transitions.map((t) => t.to)).toEqual(['draft', 'sent', 'signing', 'sent', 'signing', 'accepted', 'awaiting_payment', 'fulfilled']);
  expect(final.transitions[3]!.reason).toBe('revised to version 2: lower implementation fee; version 1 is superseded');

  const invoice = await orm.em.fork().findOneOrFail(Invoice, { id: final.invoiceId! });
  expect(invoice.total).toBe(1_800_00);
  const signatures = await orm.em.fork().find(QuoteSignature, { quoteId: id }, { orderBy: { signedAt: 'asc' } });
  expect(signatures.map((s) => [s.version, s.kind, s.superseded])).toEqual([
    [1, 'customer', true],
    [2, 'customer', false],
    [2, 'internal', false],
  ]);
  const versions = await orm.em.fork().find(QuoteVersion, { quoteId: id }, { orderBy: { version: 'asc' } });
  expect(versions.map((v) => [v.version, v.contentHash, v.supersededAt !== null])).toEqual([
    [1, v1.contentHash, true],
    [2, v2.contentHash, false],
  ]);
});

test('a discount above the threshold waits for an admin: nothing is sent until it is approved', async () => {
  const { id, handle, customer } = await start({
    lines: [oneTimeLine('Licences', 1_000_00)],
    discounts: [{ type: 'percentage', ratePpm: 300_000, description: 'Launch deal', couponId: null }],
    approvalThresholdPpm: 200_000,
  });
  const pending = await handle.executeUpdate(sendQuoteUpdate, { args: [{ by: OWNER.email }] });
  expect(pending.stage).toBe('pending_approval');
  expect(pending.version.totals).toMatchObject({ discountPpm: 300_000, oneTime: { subtotal: 1_000_00, discountTotal: 300_00, total: 700_00 } });
  expect(pending.waitingFor).toContain('approve the 30% discount');
  expect(pending.transitions.at(-1)!.reason).toBe('the 30% discount is above the approval threshold');
  expect((await quoteRow(id)).stage).toBe('pending_approval');
  expect(await emailsOf(id)).toEqual([]);

  const approved = await handle.executeUpdate(approveQuoteUpdate, { args: [{ by: 'admin@seller.example' }] });
  expect(approved).toMatchObject({ stage: 'sent', approvedBy: 'admin@seller.example' });
  await eventually(async () => expect(await emailKinds(id)).toEqual([`quote_sent ${customer.email}`]));
  expect((await handle.query(getQuoteQuery)).stage).toBe('sent');

  await handle.executeUpdate(voidQuoteUpdate, { args: [{ by: OWNER.email, reason: 'customer went elsewhere' }] });
  const final = await handle.result();
  expect(final.transitions.map((t) => t.to)).toEqual(['draft', 'pending_approval', 'sent', 'voided']);
  expect(await quoteRow(id)).toMatchObject({ stage: 'voided', approvedBy: 'admin@seller.example', voidReason: 'customer went elsewhere' });
});

test('a one-time total split into a payment schedule starts an instalment plan that invoices its first part', async () => {
  const { id, handle, version, customer } = await start({
    lines: [oneTimeLine('Hardware', 1_000_00), oneTimeLine('Installation', 200_00)],
    payment: { oneTime: 'payment_schedule', schedule: { count: 3, interval: { unit: 'month', count: 1 }, downPayment: null } },
  });
  await handle.executeUpdate(sendQuoteUpdate, { args: [{ by: OWNER.email }] });
  await handle.executeUpdate(signQuoteUpdate, { args: [await customerSigns(id, 1, version.contentHash)] });
  const final = await handle.result();
  expect(final.stage).toBe('fulfilled');
  expect(final.invoiceId).toBeNull();
  expect(final.instalmentPlanId).not.toBeNull();

  const plan = await orm.em.fork().findOneOrFail(InstalmentPlan, { id: final.instalmentPlanId! });
  expect(plan).toMatchObject({ customerId: customer.id, total: 1_200_00, contractReference: id, method: 'equal', intervalUnit: 'month' });
  expect((await quoteRow(id)).instalmentPlanId).toBe(plan.id);
  const rows = await orm.em.fork().find(Instalment, { planId: plan.id }, { orderBy: { number: 'asc' } });
  expect(rows.map((r) => r.amount)).toEqual([400_00, 400_00, 400_00]);
  // The first part is due at acceptance: the plan's own workflow invoices and charges it.
  await eventually(async () => {
    const invoices = await orm.em.fork().find(Invoice, { instalmentPlanId: plan.id });
    expect(invoices.map((i) => [i.instalmentNumber, i.total, i.status])).toEqual([[1, 400_00, 'paid']]);
  });
  expect(await emailKinds(id)).toEqual(
    [`quote_sent ${customer.email}`, `quote_paid ${customer.email}`, `quote_paid_owner ${OWNER.email}`, `quote_welcome ${customer.email}`, 'quote_onboarding am@seller.example'].sort(),
  );
});

test('reminders are not sent for a quote sent after the reminder date', async () => {
  const { handle } = await start({ lines: [oneTimeLine('Audit', 900_00)], expiresInDays: 2, reminderDaysBefore: [3] });
  await handle.executeUpdate(sendQuoteUpdate, { args: [{ by: OWNER.email }] });
  const final = await handle.result();
  expect(final.stage).toBe('expired');
  expect(final.remindersSent).toEqual([]);
  expect(Date.parse(final.expiredAt!) - Date.parse(final.sentAt!)).toBeGreaterThanOrEqual(2 * DAY - 1000);
});

test('send_invoice: the invoice is emailed with its payment terms, and the quote is fulfilled when it is paid', async () => {
  const { id, handle, version, customer } = await start({
    lines: [oneTimeLine('Implementation', 3_000_00)],
    payment: { oneTime: 'send_invoice', paymentTerms: 'net_15' },
  });
  await handle.executeUpdate(sendQuoteUpdate, { args: [{ by: OWNER.email }] });
  await handle.executeUpdate(signQuoteUpdate, { args: [await customerSigns(id, 1, version.contentHash)] });

  const invoice = await eventually(async () => {
    const quote = await quoteRow(id);
    expect(quote.stage).toBe('awaiting_payment');
    expect(quote.invoiceId).not.toBeNull();
    return orm.em.fork().findOneOrFail(Invoice, { id: quote.invoiceId! });
  });
  expect(invoice).toMatchObject({ status: 'open', total: 3_000_00, collectionMethod: 'send_invoice', paymentTerms: 'net_15' });
  expect(invoice.dueDate!.getTime() - invoice.finalizedAt!.getTime()).toBe(15 * DAY);
  expect((await handle.query(getQuoteQuery)).waitingFor).toBe(`payment of invoice ${invoice.id}`);
  await eventually(async () => expect(await orm.em.fork().count(Email, { kind: 'invoice_sent', relatedId: invoice.id })).toBe(1));

  // The customer pays by bank transfer; the invoice's collection workflow tells the quote.
  await env.client.workflow.getHandle(invoiceCollectionWorkflowId(invoice.id)).executeUpdate(recordOfflinePaymentUpdate, {
    args: [{ amount: 3_000_00, method: 'bank_transfer', paidAt: new Date(await env.currentTimeMs()).toISOString(), reference: 'TRX-9', sendReceipt: false, requestKey: 'quote-payment' }],
  });
  const final = await handle.result();
  expect(final).toMatchObject({ stage: 'fulfilled', paymentStatus: 'paid', invoiceId: invoice.id });
  expect(await emailKinds(id)).toContain(`quote_paid ${customer.email}`);
});

test('recurring lines only: nothing to charge, the subscription starts on the date the quote gives', async () => {
  const price = await createRecurringPrice(orm, { unitAmount: 99_00, unit: 'year' });
  const customer = await createCustomer(orm);
  const now = await env.currentTimeMs();
  const startsOn = new Date(now + 10 * DAY).toISOString();
  const { id, handle, version } = await startQuote(orm, env.client, TASK_QUEUE, customer, now, {
    lines: [recurringLine(price)],
    payment: { subscriptionStartDate: startsOn },
  });
  await handle.executeUpdate(sendQuoteUpdate, { args: [{ by: OWNER.email }] });
  await handle.executeUpdate(signQuoteUpdate, { args: [await customerSigns(id, 1, version.contentHash)] });
  const final = await handle.result();
  expect(final).toMatchObject({ stage: 'fulfilled', invoiceId: null, instalmentPlanId: null });
  expect(final.transitions.find((t) => t.to === 'awaiting_payment')!.reason).toBe('no one-time charge; starting the subscriptions');
  const subscription = await orm.em.fork().findOneOrFail(Subscription, { id: final.subscriptionIds[0]! });
  expect(subscription.startDate.toISOString()).toBe(startsOn);
  expect(subscription.intervalUnit).toBe('year');
  // Billing starts on that date: nothing before it is ever invoiced (time skipping may already have reached it).
  const invoices = await orm.em.fork().find(Invoice, { subscriptionId: subscription.id });
  for (const i of invoices) expect(i.periodStart!.getTime()).toBeGreaterThanOrEqual(Date.parse(startsOn));
  expect(subscription.billingAnchor.toISOString()).toBe(startsOn);
  expect(await quoteRow(id)).toMatchObject({ stage: 'fulfilled', subscriptionIds: [subscription.id] });
});

test('recurring lines on one interval start one subscription with an item per price; another interval or a negotiated amount gets its own', async () => {
  const seats = await createRecurringPrice(orm, { unitAmount: 12_00, unit: 'month' });
  const support = await createRecurringPrice(orm, { unitAmount: 30_00, unit: 'month' });
  const yearly = await createRecurringPrice(orm, { unitAmount: 99_00, unit: 'year' });
  const customer = await createCustomer(orm);
  const now = await env.currentTimeMs();
  const { id, handle, version } = await startQuote(orm, env.client, TASK_QUEUE, customer, now, {
    // The seat price on two lines is one item of 5 + 2 seats; at a negotiated amount it cannot join them.
    lines: [recurringLine(seats, 5), recurringLine(support), recurringLine(yearly), recurringLine(seats, 2), { ...recurringLine(seats, 3), unitAmount: 10_00 }],
  });
  await handle.executeUpdate(sendQuoteUpdate, { args: [{ by: OWNER.email }] });
  await handle.executeUpdate(signQuoteUpdate, { args: [await customerSigns(id, 1, version.contentHash)] });
  const final = await handle.result();
  expect(final.subscriptionIds).toHaveLength(3);
  const subscriptions = await orm.em.fork().find(Subscription, { id: { $in: final.subscriptionIds } }, { populate: ['items'] });
  const items = subscriptions
    .map((s) => [s.intervalUnit, [...s.items.getItems()].sort((a, b) => a.position - b.position).map((i) => [i.priceId, i.quantity, i.unitAmount])] as const)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  expect(items).toEqual(
    [
      ['month', [[seats.id, 7, 12_00], [support.id, 1, 30_00]]],
      ['month', [[seats.id, 3, 10_00]]],
      ['year', [[yearly.id, 1, 99_00]]],
    ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  );
});
