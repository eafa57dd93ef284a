/**
 * Quotes through the real API, worker, Temporal dev server and PostgreSQL, as a salesperson and a
 * customer use them: drafted (with a new customer from the contact), edited, priced, sent, viewed and
 * signed through the emailed link, revised, countersigned, paid and fulfilled. And every refusal:
 * bad input (400 naming the field, nothing written), wrong token (404), a superseded version, signing
 * twice, out of order, an expired quote (409), approval above the discount threshold.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { eventually } from '../support/eventually';
import { issueApiKey } from '../../services/access/api-keys';
import { buildApp } from '../../api/app';
import { loggerOptions } from '../../logger';
import { QuoteLink } from '../../db/entities';
import { TEST_RATE_LIMITS } from '../support/rate-limits';

let api: ApiHarness;
beforeAll(async () => {
  // Every change waits for the quote's workflow; beside other suites on 2 cores that can take a while.
  api = await startApiHarness({ workflowAnswerTimeoutMs: 30_000 });
});
afterAll(async () => {
  await api?.close();
});

const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();
// The database is shared with the other suites running beside this one (quote pages, quote services),
// so the owner is this run's own: the owner's list below must hold only this file's quotes.
const OWNER = { name: 'Sam Seller', email: `sam-${process.pid}-${Date.now()}@seller.example` };
let seq = 0;
const uniqueEmail = (who: string) => `${who}-${Date.now()}-${++seq}@example.com`;

const expectError = (res: { status: number; body: { error?: { code: string; param?: string } } }, status: number, code: string, param?: string) => {
  expect({ status: res.status, code: res.body.error?.code, ...(param ? { param: res.body.error?.param } : {}) }).toEqual({
    status,
    code,
    ...(param ? { param } : {}),
  });
};

/** The public side: no API key, the link's token is the credential. */
const customerCall = (method: 'GET' | 'POST', url: string, body?: unknown) => api.call(null, method, url, body);

async function remove(role: 'sales' | 'admin', url: string) {
  const res = await api.app.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${api.keys[role]}` } });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

/**
 * The tokens of the acceptance links delivered for a quote, oldest first (what the customers click):
 * from the delivered emails, since the outbox keeps them redacted.
 */
async function linkTokens(quoteId: string, kind: string): Promise<string[]> {
  return api.mailer.quoteLinkTokens(`${kind}:${quoteId}:`);
}

/** The signers' own links once delivered: one per signer, in signer order. */
async function deliveredTokens(quoteId: string, count: number, kind = 'quote_sent'): Promise<string[]> {
  return eventually(async () => {
    const tokens = await linkTokens(quoteId, kind);
    expect(tokens).toHaveLength(count);
    return tokens;
  });
}

async function monthlyPrice(unitAmount: number): Promise<string> {
  const product = await api.call('admin', 'POST', '/v1/products', { name: 'Analytics Pro' });
  const price = await api.call('admin', 'POST', '/v1/prices', { product: product.body.id, currency: 'usd', unit_amount: unitAmount, recurring: { interval: 'month' } });
  expect(price.status).toBe(200);
  return price.body.id;
}

async function existingCustomer(): Promise<{ id: string; email: string }> {
  const email = uniqueEmail('buyer');
  const res = await api.call('sales', 'POST', '/v1/customers', { email, name: 'Grace Buyer', currency: 'usd', default_payment_method: 'pm_card_visa' });
  expect(res.status).toBe(200);
  return { id: res.body.id, email };
}

async function sentQuote(fields: Record<string, unknown> = {}) {
  const customer = await existingCustomer();
  const created = await api.call('sales', 'POST', '/v1/quotes', {
    customer: customer.id,
    owner: OWNER,
    lines: [{ description: 'Consulting', unit_amount: 1_000_00 }],
    ...fields,
  });
  expect(created.status).toBe(200);
  const sent = await api.call('sales', 'POST', `/v1/quotes/${created.body.id}/send`);
  expect(sent.status).toBe(200);
  return { quote: sent.body, customer };
}

test('a salesperson drafts, prices, sends and revises a quote; the customer signs through the link; it is countersigned, paid and fulfilled', async () => {
  const price = await monthlyPrice(25_00);
  const contactEmail = uniqueEmail('ada');

  // Preview first: totals without creating anything.
  const body = {
    contact: { name: 'Ada Lovelace', email: contactEmail, currency: 'usd', time_zone: 'Europe/London', default_payment_method: 'pm_card_visa' },
    owner: OWNER,
    account_manager_email: 'am@seller.example',
    title: 'Analytics rollout',
    lines: [
      { description: 'Onboarding workshop', unit_amount: 600_00 },
      { price, quantity: 2 },
    ],
    discounts: [{ percent_off: '10', description: 'Launch offer' }],
    fees: [{ description: 'Travel', amount: 40_00, taxable: false }],
    signers: [
      { kind: 'customer', name: 'Ada Lovelace', email: contactEmail },
      { kind: 'internal', name: 'Carla Countersign', email: 'carla@seller.example' },
    ],
    terms: 'Payable on acceptance.',
  };
  const preview = await api.call('sales', 'POST', '/v1/quotes/preview', body);
  expect(preview.status).toBe(200);
  expect(preview.body).toMatchObject({
    object: 'quote_preview',
    requires_approval: false,
    totals: { one_time: { subtotal: 600_00, discount_total: 60_00, fee_total: 40_00, tax_total: 0, total: 580_00 }, discount_percent: '10' },
  });
  expect((await api.call('sales', 'GET', `/v1/customers?email=${encodeURIComponent(contactEmail)}`)).body.data).toEqual([]);

  // Create: the customer comes from the contact.
  const created = await api.call('sales', 'POST', '/v1/quotes', body, { 'Idempotency-Key': `quote-${contactEmail}` });
  expect(created.status).toBe(200);
  const q = created.body;
  expect(q).toMatchObject({ object: 'quote', stage: 'draft', version: 1, currency: 'usd', owner: OWNER, workflow_id: `quote-${q.id}` });
  expect(q.id).toMatch(/^qt_/);
  expect(q.content_hash).toMatch(/^[0-9a-f]{64}$/);
  expect(q.totals.recurring).toEqual([{ interval: 'month', interval_count: 1, subtotal: 50_00, tax_total: 0, total: 50_00 }]);
  expect(q.timeline.map((t: { to: string }) => t.to)).toEqual(['draft']);
  const customer = await api.call('sales', 'GET', `/v1/customers/${q.customer}`);
  expect(customer.body).toMatchObject({ email: contactEmail, name: 'Ada Lovelace', time_zone: 'Europe/London' });
  // The same Idempotency-Key answers the same quote.
  const replay = await api.call('sales', 'POST', '/v1/quotes', body, { 'Idempotency-Key': `quote-${contactEmail}` });
  expect(replay.body.id).toBe(q.id);

  // Edit the draft: add a line, remove it, retitle.
  const added = await api.call('sales', 'POST', `/v1/quotes/${q.id}/lines`, { description: 'Extra seat setup', unit_amount: 100_00 });
  expect(added.status).toBe(200);
  expect(added.body.totals.one_time.subtotal).toBe(700_00);
  expect(added.body.content_hash).not.toBe(q.content_hash);
  const extra = added.body.lines.find((l: { description: string }) => l.description === 'Extra seat setup');
  const removed = await remove('sales', `/v1/quotes/${q.id}/lines/${extra.id}`);
  expect(removed.status).toBe(200);
  expect(removed.body.totals.one_time.total).toBe(580_00);
  expectError(await remove('sales', `/v1/quotes/${q.id}/lines/qli_missing`), 404, 'resource_missing');
  const retitled = await api.call('sales', 'POST', `/v1/quotes/${q.id}`, { title: 'Analytics rollout 2027' });
  expect(retitled.body).toMatchObject({ title: 'Analytics rollout 2027', version: 1, stage: 'draft' });

  // Send: the customer signer gets the link.
  const sent = await api.call('sales', 'POST', `/v1/quotes/${q.id}/send`);
  expect(sent.status).toBe(200);
  expect(sent.body.stage).toBe('sent');
  expectError(await api.call('sales', 'POST', `/v1/quotes/${q.id}`, { title: 'Too late' }), 409, 'quote_not_draft');
  const [token] = await eventually(async () => {
    const tokens = await linkTokens(q.id, 'quote_sent');
    expect(tokens).toHaveLength(1);
    return tokens;
  });

  // The customer views it without a key; another token sees nothing.
  const viewed = await customerCall('GET', `/v1/public/quotes/${token}`);
  expect(viewed.status).toBe(200);
  expect(viewed.body).toMatchObject({ id: q.id, stage: 'sent', version: 1, customer_name: 'Ada Lovelace', title: 'Analytics rollout 2027' });
  expect(viewed.body.signing.signers).toEqual([
    { kind: 'customer', name: 'Ada Lovelace', signed: false },
    { kind: 'internal', name: 'Carla Countersign', signed: false },
  ]);
  expect(viewed.body).not.toHaveProperty('signatures');
  const v1Hash = viewed.body.content_hash;

  // Out of order: the countersignature waits for the customer's.
  expectError(
    await api.call('sales', 'POST', `/v1/quotes/${q.id}/countersign`, { content_hash: v1Hash }),
    409,
    'out_of_order',
  );
  const signed = await customerCall('POST', `/v1/public/quotes/${token}/sign`, { content_hash: v1Hash });
  expect(signed.status).toBe(200);
  expect(signed.body.stage).toBe('signing');

  // Sales revise the price: version 2 supersedes the signed version 1.
  const revised = await api.call('sales', 'POST', `/v1/quotes/${q.id}/revise`, {
    lines: [{ description: 'Onboarding workshop', unit_amount: 500_00 }, { price, quantity: 2 }],
    reason: 'workshop shortened',
  });
  expect(revised.status).toBe(200);
  expect(revised.body).toMatchObject({ version: 2, stage: 'sent' });
  expect(revised.body.content_hash).not.toBe(v1Hash);
  expect(revised.body.totals.one_time.total).toBe(490_00); // 500 − 10 % + 40 travel
  expect(revised.body.signatures).toEqual([expect.objectContaining({ version: 1, superseded: true, email: contactEmail, ip: '127.0.0.1', content_hash: v1Hash })]);
  expect(revised.body.timeline.at(-1).reason).toBe('revised to version 2: workshop shortened; version 1 is superseded');
  const [revisedToken] = await eventually(async () => {
    const tokens = await linkTokens(q.id, 'quote_revised');
    expect(tokens).toHaveLength(1);
    return tokens;
  });

  // The old link shows the current version; signing what was shown before is refused.
  expect((await customerCall('GET', `/v1/public/quotes/${token}`)).body.version).toBe(2);
  expectError(await customerCall('POST', `/v1/public/quotes/${token}/sign`, { content_hash: v1Hash }), 409, 'version_superseded');
  // The link sent with version 1 does not sign version 2 either: the one sent with it does.
  expectError(await customerCall('POST', `/v1/public/quotes/${token}/sign`, { content_hash: revised.body.content_hash }), 409, 'link_superseded');
  const v2Hash = revised.body.content_hash;
  const resigned = await customerCall('POST', `/v1/public/quotes/${revisedToken}/sign`, { content_hash: v2Hash });
  expect(resigned.status).toBe(200);
  expectError(await customerCall('POST', `/v1/public/quotes/${revisedToken}/sign`, { content_hash: v2Hash }), 409, 'already_signed');

  // The internal signer is bound to the key that created the quote (no api_key given): it countersigns.
  const countersigned = await api.call('sales', 'POST', `/v1/quotes/${q.id}/countersign`, { content_hash: v2Hash });
  expect(countersigned.status).toBe(200);

  // Charged now, the subscription started, confirmations sent.
  const fulfilled = await eventually(
    async () => {
      const res = await api.call('operator', 'GET', `/v1/quotes/${q.id}`);
      expect(res.body.stage).toBe('fulfilled');
      return res.body;
    },
    { timeoutMs: 60_000 },
  );
  expect(fulfilled.timeline.map((t: { to: string }) => t.to)).toEqual(['draft', 'sent', 'signing', 'sent', 'signing', 'accepted', 'awaiting_payment', 'fulfilled']);
  expect(fulfilled.signatures.filter((s: { superseded: boolean }) => !s.superseded).map((s: { kind: string; version: number }) => [s.kind, s.version])).toEqual([
    ['customer', 2],
    ['internal', 2],
  ]);
  const invoice = await api.call('operator', 'GET', `/v1/invoices/${fulfilled.invoice}`);
  expect(invoice.body).toMatchObject({ status: 'paid', total: 490_00, amount_paid: 490_00, customer: q.customer });
  expect(fulfilled.subscriptions).toHaveLength(1);
  const subscription = await api.call('operator', 'GET', `/v1/subscriptions/${fulfilled.subscriptions[0]}`);
  expect(subscription.status).toBe(200);
  expect(subscription.body).toMatchObject({ customer: q.customer, metadata: { quote: q.id } });

  const tasks = await api.call('operator', 'GET', `/v1/onboarding-tasks?quote=${q.id}`);
  expect(tasks.body.data).toEqual([expect.objectContaining({ object: 'onboarding_task', customer: q.customer, assignee_email: 'am@seller.example', status: 'open' })]);
  expect((await api.call('sales', 'GET', `/v1/onboarding-tasks/${tasks.body.data[0].id}`)).status).toBe(200);
  const emails = await api.call('admin', 'GET', `/v1/emails?related_id=${q.id}&limit=100`);
  expect(emails.body.data.map((e: { kind: string; to: string }) => `${e.kind} ${e.to}`).sort()).toEqual(
    [
      `quote_sent ${contactEmail}`,
      `quote_revised ${contactEmail}`,
      `quote_paid ${contactEmail}`,
      `quote_paid_owner ${OWNER.email}`,
      `quote_welcome ${contactEmail}`,
      'quote_onboarding am@seller.example',
    ].sort(),
  );

  // The closed quote refuses further changes.
  expectError(await api.call('sales', 'POST', `/v1/quotes/${q.id}/void`), 409, 'quote_closed');
  expectError(await customerCall('POST', `/v1/public/quotes/${revisedToken}/decline`, { reason: 'changed my mind' }), 409, 'quote_closed');

  // Lists: by owner, stage and customer, a page at a time.
  const another = await api.call('sales', 'POST', '/v1/quotes', { customer: q.customer, owner: OWNER, lines: [{ description: 'Follow-up', unit_amount: 50_00 }] });
  expect(another.body.stage).toBe('draft');
  const byCustomer = await api.call('operator', 'GET', `/v1/quotes?customer=${q.customer}&stage=fulfilled&owner=${OWNER.email}`);
  expect(byCustomer.body.data.map((x: { id: string }) => x.id)).toEqual([q.id]);
  const page = await api.call('sales', 'GET', `/v1/quotes?owner=${OWNER.email}&limit=1`);
  expect(page.body.data).toHaveLength(1);
  expect(page.body.has_more).toBe(true);
  const next = await api.call('sales', 'GET', `/v1/quotes?owner=${OWNER.email}&limit=1&starting_after=${page.body.data[0].id}`);
  expect(page.body.data[0].id).toBe(another.body.id);
  expect(next.body.data[0].id).toBe(q.id);
  const drafts = await api.call('sales', 'GET', `/v1/quotes?customer=${q.customer}&stage=draft`);
  expect(drafts.body.data.map((x: { id: string }) => x.id)).toEqual([another.body.id]);
});

test('a wrong token is a 404 for every public action, and a token reads only its own quote', async () => {
  const { quote } = await sentQuote();
  const { quote: other } = await sentQuote();
  const [token] = await eventually(async () => {
    const tokens = await linkTokens(quote.id, 'quote_sent');
    expect(tokens).toHaveLength(1);
    return tokens;
  });
  const forged = `${token!.slice(0, -2)}${token!.endsWith('AA') ? 'BB' : 'AA'}`;
  expectError(await customerCall('GET', `/v1/public/quotes/${forged}`), 404, 'resource_missing');
  expectError(await customerCall('POST', `/v1/public/quotes/${forged}/sign`, { content_hash: quote.content_hash }), 404, 'resource_missing');
  expectError(await customerCall('POST', `/v1/public/quotes/${forged}/decline`, {}), 404, 'resource_missing');
  expectError(await customerCall('GET', '/v1/public/quotes/not-a-token'), 404, 'resource_missing');

  const mine = await customerCall('GET', `/v1/public/quotes/${token}`);
  expect(mine.body.id).toBe(quote.id);
  // The other quote's content hash through this token: not this quote's version, refused.
  expectError(await customerCall('POST', `/v1/public/quotes/${token}/sign`, { content_hash: other.content_hash }), 409, 'content_hash_mismatch');
  // The body cannot name a signer (of this quote or another): the link says who signs.
  expectError(
    await customerCall('POST', `/v1/public/quotes/${token}/sign`, { email: other.signing.signers[0].email, content_hash: quote.content_hash }),
    400,
    'parameter_unknown',
    'email',
  );
  expect((await api.call('operator', 'GET', `/v1/quotes/${other.id}`)).body.signatures).toEqual([]);
});

test('an expired quote can no longer be signed', async () => {
  const { quote } = await sentQuote({ expires_at: inFuture(6_000) });
  const [token] = await eventually(async () => {
    const tokens = await linkTokens(quote.id, 'quote_sent');
    expect(tokens).toHaveLength(1);
    return tokens;
  });
  const expired = await eventually(
    async () => {
      const res = await api.call('sales', 'GET', `/v1/quotes/${quote.id}`);
      expect(res.body.stage).toBe('expired');
      return res.body;
    },
    { timeoutMs: 30_000 },
  );
  expect(expired.timeline.at(-1)).toMatchObject({ from: 'sent', to: 'expired', by: 'system' });
  expectError(await customerCall('POST', `/v1/public/quotes/${token}/sign`, { content_hash: quote.content_hash }), 409, 'quote_expired');
  expect((await customerCall('GET', `/v1/public/quotes/${token}`)).body.stage).toBe('expired');
  expectError(await api.call('sales', 'POST', `/v1/quotes/${quote.id}/revise`, { title: 'Second chance' }), 409, 'quote_expired');
});

test('a discount above the threshold waits for an admin; sales cannot approve; a customer can decline', async () => {
  const customer = await existingCustomer();
  const created = await api.call('sales', 'POST', '/v1/quotes', {
    customer: customer.id,
    owner: OWNER,
    lines: [{ description: 'Licences', unit_amount: 1_000_00, quantity: 3 }],
    discounts: [{ percent_off: '25' }],
  });
  expect(created.body).toMatchObject({ requires_approval: true, totals: { discount_percent: '25', one_time: { total: 2_250_00 } } });
  // At the threshold exactly (20 %) no approval is needed.
  const atThreshold = await api.call('sales', 'POST', '/v1/quotes/preview', { customer: customer.id, owner: OWNER, lines: [{ description: 'Licences', unit_amount: 1_000_00 }], discounts: [{ percent_off: '20' }] });
  expect(atThreshold.body.requires_approval).toBe(false);
  const pending = await api.call('sales', 'POST', `/v1/quotes/${created.body.id}/send`);
  expect(pending.body.stage).toBe('pending_approval');
  expect(pending.body.waiting_for).toContain('approve the 25% discount');
  expect(pending.body.timeline.at(-1).reason).toBe('the 25% discount is above the approval threshold');
  expect((await api.call('sales', 'POST', `/v1/quotes/${created.body.id}/approve`)).status).toBe(403);
  expect((await api.call('admin', 'GET', `/v1/emails?related_id=${created.body.id}`)).body.data).toEqual([]);

  // Refused: back to draft with the reason; sales may edit and send again, which asks again.
  const rejected = await api.call('admin', 'POST', `/v1/quotes/${created.body.id}/reject`, { reason: 'Deeper than policy allows' });
  expect(rejected.body.stage).toBe('draft');
  expect(rejected.body.timeline.at(-1)).toMatchObject({ from: 'pending_approval', to: 'draft', reason: 'approval refused by admin (test): Deeper than policy allows' });
  expectError(await api.call('admin', 'POST', `/v1/quotes/${created.body.id}/reject`, { reason: 'again' }), 409, 'quote_not_pending_approval');
  const edited = await api.call('sales', 'POST', `/v1/quotes/${created.body.id}`, { discounts: [{ percent_off: '22.5' }] });
  expect(edited.body).toMatchObject({ requires_approval: true, totals: { discount_percent: '22.5' } });
  expect((await api.call('sales', 'POST', `/v1/quotes/${created.body.id}/send`)).body.stage).toBe('pending_approval');

  const approved = await api.call('admin', 'POST', `/v1/quotes/${created.body.id}/approve`);
  expect(approved.body).toMatchObject({ stage: 'sent', approved_by: 'admin (test)' });
  expectError(await api.call('admin', 'POST', `/v1/quotes/${created.body.id}/approve`), 409, 'quote_not_pending_approval');
  const [token] = await eventually(async () => {
    const tokens = await linkTokens(created.body.id, 'quote_sent');
    expect(tokens).toHaveLength(1);
    return tokens;
  });
  // Who declines is the link's signer; the body cannot say otherwise.
  expectError(await customerCall('POST', `/v1/public/quotes/${token}/decline`, { email: 'someone@else.example', reason: 'x' }), 400, 'parameter_unknown', 'email');
  const declined = await customerCall('POST', `/v1/public/quotes/${token}/decline`, { reason: 'Too expensive' });
  expect(declined.status).toBe(200);
  expect(declined.body.stage).toBe('declined');
  const quote = await api.call('operator', 'GET', `/v1/quotes/${created.body.id}`);
  expect(quote.body).toMatchObject({ stage: 'declined', decline_reason: 'Too expensive' });
  expect(quote.body.timeline.at(-1)).toMatchObject({ to: 'declined', by: customer.email });
});

test('bad input is a 400 naming the field, and writes nothing', async () => {
  const price = await monthlyPrice(10_00);
  const contactEmail = uniqueEmail('nobody');
  const contact = { name: 'Nobody', email: contactEmail, currency: 'usd' };
  const cases: [Record<string, unknown>, string][] = [
    [{ contact, owner: OWNER, lines: [{ unit_amount: 100 }] }, 'lines[0][description]'],
    [{ contact, owner: OWNER, lines: [{ description: 'x' }] }, 'lines[0][unit_amount]'],
    [{ contact, owner: OWNER, lines: [{ price: 'price_missing' }] }, 'lines[0][price]'],
    [{ contact, owner: OWNER, lines: [{ price }], expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
    [{ contact, owner: OWNER, lines: [], signers: [{ kind: 'internal', name: 'Carla', email: 'carla@seller.example' }] }, 'signers'],
    [{ contact, owner: OWNER, lines: [], discounts: [{ percent_off: '10', amount_off: 5 }] }, 'discounts[0]'],
    [{ contact, owner: OWNER, lines: [], tax_rates: ['txr_missing'] }, 'tax_rates[0]'],
    [{ contact, owner: OWNER, lines: [], discounts: [{ percent_off: '120' }] }, 'discounts[0][percent_off]'],
    [{ contact, owner: OWNER, lines: [], fees: [{ description: 'Rush', percentage: '100.5' }] }, 'fees[0][percentage]'],
    [{ contact, owner: OWNER, lines: [{ description: 'Tiny', unit_amount: 100 }], payment: { one_time: 'payment_schedule', schedule: { count: 600 } } }, 'payment[schedule][count]'],
    [{ contact, owner: OWNER, lines: [], payment: { one_time: 'payment_schedule' } }, 'payment[schedule]'],
    [{ contact: { ...contact, time_zone: 'Mars/Olympus' }, owner: OWNER, lines: [] }, 'contact[time_zone]'],
    [{ customer: 'cus_missing', owner: OWNER, lines: [] }, 'customer'],
    [{ contact, owner: { name: 'Sam' }, lines: [] }, 'owner[email]'],
  ];
  for (const [body, param] of cases) {
    const res = await api.call('sales', 'POST', '/v1/quotes', body);
    expect({ param, status: res.status, got: res.body.error?.param }).toEqual({ param, status: 400, got: param });
  }
  // Nothing was written: not the quote, not the contact's customer.
  expect((await api.call('sales', 'GET', `/v1/customers?email=${encodeURIComponent(contactEmail)}`)).body.data).toEqual([]);
  expectError(await api.call('sales', 'POST', '/v1/quotes/qt_missing/send'), 404, 'resource_missing');
});

describe('signatures are bound to the signer', () => {
  const twoCustomerSigners = async (order: 'sequential' | 'any') => {
    const customer = await existingCustomer();
    const bob = uniqueEmail('bob');
    const { quote } = await sentQuote({
      customer: customer.id,
      signers: [
        { kind: 'customer', name: 'Grace Buyer', email: customer.email },
        { kind: 'customer', name: 'Bob Second', email: bob },
      ],
      signing_order: order,
    });
    const [graceToken, bobToken] = await deliveredTokens(quote.id, 2);
    return { quote, grace: customer.email, bob, graceToken: graceToken!, bobToken: bobToken! };
  };

  test("a signer's link signs only as that signer: a body naming another signer is refused, and the signature is the link's", async () => {
    const { quote, bob, graceToken } = await twoCustomerSigners('any');
    expectError(
      await customerCall('POST', `/v1/public/quotes/${graceToken}/sign`, { name: 'Bob Second', email: bob, content_hash: quote.content_hash }),
      400,
      'parameter_unknown',
      'name',
    );
    expect((await api.call('operator', 'GET', `/v1/quotes/${quote.id}`)).body.signatures).toEqual([]);

    const signed = await customerCall('POST', `/v1/public/quotes/${graceToken}/sign`, { content_hash: quote.content_hash });
    expect(signed.status).toBe(200);
    expect(signed.body.signing.signers.map((s: { name: string; signed: boolean }) => [s.name, s.signed])).toEqual([
      ['Grace Buyer', true],
      ['Bob Second', false],
    ]);
    // Grace's link cannot sign a second time, for Bob or anyone.
    expectError(await customerCall('POST', `/v1/public/quotes/${graceToken}/sign`, { content_hash: quote.content_hash }), 409, 'already_signed');
    const stored = (await api.call('operator', 'GET', `/v1/quotes/${quote.id}`)).body;
    expect(stored.signatures.map((s: { signer: string; email: string }) => [s.signer, s.email])).toEqual([['signer_1', quote.signing.signers[0].email]]);
  });

  test("sequential: the second signer's link cannot sign before the first, and the refusal names nobody", async () => {
    const { quote, grace, bob, graceToken, bobToken } = await twoCustomerSigners('sequential');
    const early = await customerCall('POST', `/v1/public/quotes/${bobToken}/sign`, { content_hash: quote.content_hash });
    expectError(early, 409, 'out_of_order');
    for (const who of [grace, bob, 'Grace', 'Bob', '@']) expect(early.body.error.message).not.toContain(who);

    expect((await customerCall('POST', `/v1/public/quotes/${graceToken}/sign`, { content_hash: quote.content_hash })).status).toBe(200);
    const accepted = await customerCall('POST', `/v1/public/quotes/${bobToken}/sign`, { content_hash: quote.content_hash });
    expect(accepted.status).toBe(200);
    expect(['accepted', 'awaiting_payment', 'fulfilled']).toContain(accepted.body.stage);
  });

  test('the signature record keeps its proof: the link id, IP, user agent and the hash of the version signed', async () => {
    const { quote } = await sentQuote();
    const [token] = await deliveredTokens(quote.id, 1);
    const res = await api.app.inject({
      method: 'POST',
      url: `/v1/public/quotes/${token}/sign`,
      headers: { 'user-agent': 'Mozilla/5.0 (Signer test)', 'content-type': 'application/json' },
      payload: { content_hash: quote.content_hash },
    });
    expect(res.statusCode).toBe(200);
    const [link] = await api.orm.em.fork().find(QuoteLink, { quoteId: quote.id });
    expect(link).toMatchObject({ signerId: 'signer_1', version: 1 });
    const stored = await eventually(async () => {
      const body = (await api.call('operator', 'GET', `/v1/quotes/${quote.id}`)).body;
      expect(body.signatures).toHaveLength(1);
      return body;
    });
    expect(stored.signatures[0]).toMatchObject({
      signer: 'signer_1',
      kind: 'customer',
      link: link!.id,
      api_key: null,
      ip: '127.0.0.1',
      user_agent: 'Mozilla/5.0 (Signer test)',
      version: 1,
      content_hash: quote.content_hash,
    });
    expect(stored.signatures[0].link).not.toBe(token);
  });

  test('a sales key countersigns only as the internal signer bound to it', async () => {
    const customer = await existingCustomer();
    const carlaKey = await issueApiKey(api.orm.em.fork(), 'Carla (sales)', 'sales');
    const { quote } = await sentQuote({
      customer: customer.id,
      signers: [
        { kind: 'customer', name: 'Grace Buyer', email: customer.email },
        { kind: 'internal', name: 'Carla Countersign', email: 'carla@seller.example', api_key: carlaKey.key.id },
      ],
      signing_order: 'any',
    });
    expect(quote.signing.signers[1]).toMatchObject({ kind: 'internal', api_key: carlaKey.key.id });

    // The harness's sales key created the quote, but Carla's signature is Carla's key's alone.
    const refused = await api.call('sales', 'POST', `/v1/quotes/${quote.id}/countersign`, { content_hash: quote.content_hash });
    expectError(refused, 403, 'not_a_signer');
    expect(refused.body.error.message).not.toMatch(/carla/i);
    expectError(
      await api.call('sales', 'POST', `/v1/quotes/${quote.id}/countersign`, { name: 'Carla Countersign', email: 'carla@seller.example', content_hash: quote.content_hash }),
      400,
      'parameter_unknown',
      'name',
    );
    expect((await api.call('operator', 'GET', `/v1/quotes/${quote.id}`)).body.signatures).toEqual([]);

    const res = await api.app.inject({
      method: 'POST',
      url: `/v1/quotes/${quote.id}/countersign`,
      headers: { authorization: `Bearer ${carlaKey.secret}`, 'content-type': 'application/json', 'user-agent': 'crm-bot/1.0' },
      payload: { content_hash: quote.content_hash },
    });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).signatures).toEqual([
      expect.objectContaining({ signer: 'signer_2', kind: 'internal', link: null, api_key: carlaKey.key.id, user_agent: 'crm-bot/1.0', content_hash: quote.content_hash }),
    ]);
  });

  test('an internal signer needs a countersigning key of their own', async () => {
    const customer = await existingCustomer();
    const operatorKey = await issueApiKey(api.orm.em.fork(), 'Ops', 'operator');
    const base = { customer: customer.id, owner: OWNER, lines: [{ description: 'Consulting', unit_amount: 100_00 }] };
    const customerSigner = { kind: 'customer', name: 'Grace Buyer', email: customer.email };
    const cases: [unknown[], string][] = [
      [[customerSigner, { kind: 'internal', name: 'Carla', email: 'carla@seller.example', api_key: 'key_missing' }], 'signers[1][api_key]'],
      [[customerSigner, { kind: 'internal', name: 'Carla', email: 'carla@seller.example', api_key: operatorKey.key.id }], 'signers[1][api_key]'],
      [[customerSigner, { kind: 'internal', name: 'Carla', email: 'carla@seller.example' }, { kind: 'internal', name: 'Dan', email: 'dan@seller.example' }], 'signers[2][api_key]'],
      [[{ ...customerSigner, api_key: operatorKey.key.id }], 'signers[0][api_key]'],
    ];
    for (const [signers, param] of cases) {
      const res = await api.call('sales', 'POST', '/v1/quotes', { ...base, signers });
      expect({ param, status: res.status, got: res.body.error?.param }).toEqual({ param, status: 400, got: param });
    }
  });
});

describe('quote link tokens are never kept in clear', () => {
  test('GET /v1/emails and the outbox table show the link redacted, and what they show does not work', async () => {
    const { quote } = await sentQuote();
    const [token] = await deliveredTokens(quote.id, 1);
    // The delivered link works.
    expect((await customerCall('GET', `/v1/public/quotes/${token}`)).status).toBe(200);

    const listed = await api.call('admin', 'GET', `/v1/emails?related_id=${quote.id}&kind=quote_sent`);
    expect(listed.body.data).toHaveLength(1);
    const shown = JSON.stringify(listed.body);
    expect(shown).not.toContain(token);
    // The email links to the acceptance page; the same token works on the JSON routes under /v1/public.
    const pagePath = /http:\/\/localhost:3000(\/quotes\/[^\s"<]+)/.exec(listed.body.data[0].text)![1]!;
    expect(pagePath).toBe('/quotes/[redacted]');
    const url = `/v1/public${pagePath}`;
    expectError(await customerCall('GET', url), 404, 'resource_missing');
    expectError(await customerCall('POST', `${url}/sign`, { content_hash: quote.content_hash }), 404, 'resource_missing');
    expectError(await customerCall('GET', encodeURI(url)), 404, 'resource_missing');

    const rows: Record<string, unknown>[] = await api.orm.em.fork().getConnection().execute('select * from email_outbox where related_id = ?', [quote.id]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    const links: Record<string, unknown>[] = await api.orm.em.fork().getConnection().execute('select * from quote_links where quote_id = ?', [quote.id]);
    expect(JSON.stringify(links)).not.toContain(token);
  });

  test('the request log line of a public quote request carries no token', async () => {
    const { quote } = await sentQuote();
    const [token] = await deliveredTokens(quote.id, 1);
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    // The API's own logger options (logger.ts createLogger), writing to this test.
    const logged = await buildApp({ orm: api.orm, temporal: api.temporal, taskQueue: api.taskQueue, logger: pino({ name: 'api', level: 'info', ...loggerOptions }, stream), rateLimits: TEST_RATE_LIMITS });
    try {
      expect((await logged.inject({ method: 'GET', url: `/v1/public/quotes/${token}` })).statusCode).toBe(200);
      expect((await logged.inject({ method: 'POST', url: `/v1/public/quotes/${token}/decline?token=${token}`, payload: {} })).statusCode).toBe(200);
    } finally {
      await logged.close();
    }
    const output = lines.join('');
    expect(output).toContain('/v1/public/quotes/[redacted]');
    expect(output).toContain('"incoming request"');
    expect(output).not.toContain(token);
  });
});
