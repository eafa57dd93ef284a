/**
 * The quote acceptance page in real Chromium, against the real API, worker, Temporal and PostgreSQL:
 * a customer opens the link from their delivered email, signs (after a refused attempt without
 * consent, which records nothing), the quote waits for the seller's countersignature, is accepted,
 * its invoice charged and the paid and welcome emails sent. Also: declining, a quote that expires while
 * its page is open, an altered token (the 404 page), and the link of a version that a revision
 * replaced (it shows nothing of the quote).
 */
import type { Browser, Page } from 'playwright-core';
import { auditPage, newPage, openBrowser } from './support/browser';
import { startPageStack, type PageStack } from './support/page-stack';
import { eventually } from '../support/eventually';

let stack: PageStack;
let browser: Browser;
beforeAll(async () => {
  stack = await startPageStack();
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const OWNER = { name: 'Sam Seller', email: 'sam@seller.example' };
let seq = 0;
const uniqueEmail = (who: string) => `${who}-${Date.now()}-${++seq}@example.com`;
const api = (...args: Parameters<PageStack['harness']['call']>) => stack.harness.call(...args);

/** A customer who pays by card (the sandbox's always-succeeding test card), as a salesperson creates one. */
async function customer(name: string): Promise<{ id: string; email: string }> {
  const email = uniqueEmail(name.split(' ')[0]!.toLowerCase());
  const res = await api('sales', 'POST', '/v1/customers', { email, name, currency: 'usd', default_payment_method: 'pm_card_visa' });
  expect(res.status).toBe(200);
  return { id: res.body.id, email };
}

/** Creates and sends a quote through the API; the customer signer's email carries the link. */
async function sentQuote(buyer: { id: string; email: string }, fields: Record<string, unknown> = {}) {
  const created = await api('sales', 'POST', '/v1/quotes', {
    customer: buyer.id,
    owner: OWNER,
    title: 'Analytics rollout',
    lines: [
      { description: 'Onboarding workshop', unit_amount: 600_00 },
      { description: 'Dashboard setup', unit_amount: 150_00, quantity: 2 },
    ],
    discounts: [{ percent_off: '10', description: 'Launch offer' }],
    fees: [{ description: 'Travel', amount: 40_00, taxable: false }],
    terms: 'Payable on acceptance.',
    ...fields,
  });
  expect(created.status).toBe(200);
  const sent = await api('sales', 'POST', `/v1/quotes/${created.body.id}/send`);
  expect(sent.status).toBe(200);
  return sent.body as { id: string; content_hash: string; version: number };
}

/** The acceptance link as the delivered email (not the redacted outbox copy) carries it. */
async function emailedLink(quoteId: string, kind = 'quote_sent'): Promise<string> {
  return eventually(async () => {
    const email = stack.harness.mailer.delivered.filter((e) => e.idempotencyKey.startsWith(`${kind}:${quoteId}:`)).at(-1);
    expect(email).toBeDefined();
    const link = new RegExp(`${stack.baseUrl}/quotes/[A-Za-z0-9_-]+`).exec(email!.text)?.[0];
    expect(link).toBeDefined();
    return link!;
  });
}

const text = async (page: Page) => (await page.innerText('main')).replace(/\s+/g, ' ');

/** Waits until the page shows `what`, reloading while the answer is still being recorded (a 202 page). */
async function until(page: Page, what: string): Promise<string> {
  return eventually(async () => {
    const shown = await text(page);
    if (!shown.includes(what)) await page.reload();
    expect(await text(page)).toContain(what);
    return text(page);
  }, { timeoutMs: 60_000 });
}

test('a customer signs through the emailed link, the seller countersigns, the quote is accepted and its invoice paid', async () => {
  const buyer = await customer('Ada Lovelace');
  const quote = await sentQuote(buyer, {
    signers: [
      { kind: 'customer', name: 'Ada Lovelace', email: buyer.email },
      { kind: 'internal', name: 'Carla Countersign', email: 'carla@seller.example' },
    ],
  });
  const link = await emailedLink(quote.id);
  const { page } = await newPage(browser);

  const opened = await page.goto(link);
  expect(opened!.status()).toBe(200);
  expect(opened!.headers()['cache-control']).toBe('no-store');
  let shown = await text(page);
  for (const expected of ['Analytics rollout', quote.id, 'Version 1', 'Ada Lovelace', 'Onboarding workshop', 'Dashboard setup', '$600.00', '$300.00', 'Launch offer (10%)', '−$90.00', 'Travel', '$40.00', '$850.00', 'Carla Countersign', 'Not signed yet', 'Payable on acceptance.']) {
    expect(shown).toContain(expected);
  }
  await auditPage(page, 'quote-open');

  // The PDF of the same version.
  const pdf = await page.request.get(`${link}/pdf`);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()['content-type']).toBe('application/pdf');
  expect(pdf.headers()['content-disposition']).toBe(`attachment; filename="quote-${quote.id}-v1.pdf"`);
  expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

  // Without consent: the field says what is missing, and nothing is recorded.
  await page.fill('#name', 'Ada Lovelace');
  const refused = page.waitForResponse((r) => r.url().endsWith('/sign'));
  await page.click('button:has-text("Sign and accept")');
  expect((await refused).status()).toBe(400);
  await page.waitForSelector('#consent-error');
  expect(await page.textContent('#consent-error')).toContain('Tick the box');
  expect(await page.getAttribute('#consent', 'aria-describedby')).toBe('consent-error');
  expect(await page.inputValue('#name')).toBe('Ada Lovelace');
  await auditPage(page, 'quote-sign-refused');
  expect((await api('operator', 'GET', `/v1/quotes/${quote.id}`)).body).toMatchObject({ stage: 'sent', signatures: [] });

  // Signed: the page says by whom and when, and that the seller countersigns next.
  await page.check('#consent');
  await page.click('button:has-text("Sign and accept")');
  shown = await until(page, 'Signed by Ada Lovelace on');
  expect(shown).toContain('waits for the countersignature');
  expect(await page.$('#name')).toBeNull();
  await auditPage(page, 'quote-signed-waiting');
  const signing = (await api('operator', 'GET', `/v1/quotes/${quote.id}`)).body;
  expect(signing.stage).toBe('signing');
  expect(signing.signatures).toEqual([expect.objectContaining({ kind: 'customer', name: 'Ada Lovelace', email: buyer.email, version: 1, superseded: false })]);
  expect(signing.signatures[0].link).toMatch(/^qlnk_/);

  // The countersigner is the seller's own signer: bound to the API key that created the quote, not to a link.
  const countersigned = await api('sales', 'POST', `/v1/quotes/${quote.id}/countersign`, { content_hash: quote.content_hash });
  expect(countersigned.status).toBe(200);
  await page.reload();
  shown = await until(page, 'This quote was accepted on');
  expect(shown).toContain('Signed by Ada Lovelace on');
  await auditPage(page, 'quote-accepted');

  // Accepted: its invoice is charged to the customer's card and the paid and welcome emails go out.
  const fulfilled = await eventually(async () => {
    const res = await api('operator', 'GET', `/v1/quotes/${quote.id}`);
    expect(res.body.stage).toBe('fulfilled');
    return res.body;
  }, { timeoutMs: 90_000 });
  const invoice = await api('operator', 'GET', `/v1/invoices/${fulfilled.invoice}`);
  expect(invoice.body).toMatchObject({ status: 'paid', total: 850_00, amount_paid: 850_00, customer: buyer.id });
  const emails = await api('admin', 'GET', `/v1/emails?related_id=${quote.id}&limit=100`);
  const kinds = emails.body.data.map((e: { kind: string; to: string }) => `${e.kind} ${e.to}`);
  expect(kinds).toEqual(expect.arrayContaining([`quote_sent ${buyer.email}`, `quote_paid ${buyer.email}`, `quote_welcome ${buyer.email}`]));
  // The outbox keeps the link redacted: it points at the page, without the token.
  const invitation = emails.body.data.find((e: { kind: string }) => e.kind === 'quote_sent');
  expect(invitation.text).toContain(`${stack.baseUrl}/quotes/[redacted]`);
  expect(invitation.text).not.toContain(link);
});

test('a customer declines with a reason', async () => {
  const buyer = await customer('Grace Hopper');
  const quote = await sentQuote(buyer);
  const { page } = await newPage(browser);
  await page.goto(await emailedLink(quote.id));
  await auditPage(page, 'quote-decline-open');
  await page.fill('#reason', 'Over our budget this year');
  await page.click('button:has-text("Decline quote")');
  const shown = await until(page, 'This quote was declined on');
  expect(shown).toContain('Reason given: Over our budget this year');
  expect(await page.$('form')).toBeNull();
  await auditPage(page, 'quote-declined');
  expect((await api('operator', 'GET', `/v1/quotes/${quote.id}`)).body).toMatchObject({ stage: 'declined', decline_reason: 'Over our budget this year', signatures: [] });
});

test('a quote that expires while its page is open refuses the signature and says it expired', async () => {
  const buyer = await customer('Dorothy Vaughan');
  const quote = await sentQuote(buyer, { expires_at: new Date(Date.now() + 8_000).toISOString() });
  const { page } = await newPage(browser);
  await page.goto(await emailedLink(quote.id));
  await page.fill('#name', 'Dorothy Vaughan');
  await page.check('#consent');
  await eventually(async () => expect((await api('operator', 'GET', `/v1/quotes/${quote.id}`)).body.stage).toBe('expired'), { timeoutMs: 40_000 });

  const refused = page.waitForResponse((r) => r.url().endsWith('/sign'));
  await page.click('button:has-text("Sign and accept")');
  expect((await refused).status()).toBe(409);
  const shown = await text(page);
  expect(shown).toContain('This quote has expired, so it can no longer be signed or declined.');
  expect(shown).toContain('This quote expired on');
  expect(await page.$('form')).toBeNull();
  await auditPage(page, 'quote-expired');
  expect((await api('operator', 'GET', `/v1/quotes/${quote.id}`)).body.signatures).toEqual([]);
});

test('an altered token is the 404 page, which says nothing about quotes', async () => {
  const buyer = await customer('Alan Turing');
  const quote = await sentQuote(buyer);
  const link = await emailedLink(quote.id);
  const altered = `${link.slice(0, -2)}${link.endsWith('AA') ? 'BB' : 'AA'}`;
  const { page } = await newPage(browser);
  for (const url of [altered, `${stack.baseUrl}/quotes/not-a-token`, `${altered}/pdf`]) {
    const res = await page.goto(url);
    expect(res!.status()).toBe(404);
    const shown = await text(page);
    expect(shown).toContain('Page not found');
    expect(shown).not.toContain('Analytics rollout');
  }
  await auditPage(page, 'quote-not-found');
});

test('the link of a revised version says a newer version exists and shows nothing of it', async () => {
  const buyer = await customer('Katherine Johnson');
  const quote = await sentQuote(buyer);
  const oldLink = await emailedLink(quote.id);
  const revised = await api('sales', 'POST', `/v1/quotes/${quote.id}/revise`, {
    lines: [{ description: 'Extended workshop', unit_amount: 900_00 }],
    reason: 'longer workshop',
  });
  expect(revised.status).toBe(200);
  expect(revised.body.version).toBe(2);

  const { page } = await newPage(browser);
  await page.goto(oldLink);
  const shown = await text(page);
  expect(shown).toContain('A newer version of this quote exists');
  expect(shown).toContain('version 1');
  for (const hidden of ['Analytics rollout', 'Extended workshop', 'Onboarding workshop', '$', quote.id]) expect(shown).not.toContain(hidden);
  expect(await page.$('form')).toBeNull();
  await auditPage(page, 'quote-superseded');
  expect((await page.request.get(`${oldLink}/pdf`)).status()).toBe(404);

  // The revision's own email opens version 2.
  await page.goto(await emailedLink(quote.id, 'quote_revised'));
  expect(await text(page)).toContain('Extended workshop');
  expect(await text(page)).toContain('Version 2');
  await auditPage(page, 'quote-revised');
});
