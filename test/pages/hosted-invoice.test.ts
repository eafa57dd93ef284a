/**
 * The hosted invoice page in a real Chromium, reached the way a customer reaches it: a subscription
 * billed by emailed invoice → the invoice email's link → the page → its PDF → a declined card (the
 * error shown, the invoice still open) → the 4242 test card with autopay ticked → paid. Then the
 * records: one successful payment, the subscription on autopay, the consent kept. A tampered link is
 * the 404 page.
 */
import type { Browser } from 'playwright-core';
import { AutopayConsent, Invoice, Payment, Subscription } from '../../db/entities';
import { eventually } from '../support/eventually';
import { auditPage, newPage, openBrowser } from './support/browser';
import { startPageStack, type PageStack } from './support/page-stack';

jest.setTimeout(180_000);

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

async function emailedSubscriptionInvoice() {
  const api = stack.harness;
  const customer = await api.call('sales', 'POST', '/v1/customers', { email: `hosted-page-${Date.now()}@example.com`, name: 'Ada Lovelace', currency: 'usd' });
  const product = await api.call('admin', 'POST', '/v1/products', { name: 'Analytics plan' });
  const price = await api.call('admin', 'POST', '/v1/prices', { product: product.body.id, currency: 'usd', unit_amount: 4900, recurring: { interval: 'month' } });
  const subscription = await api.call('sales', 'POST', '/v1/subscriptions', { customer: customer.body.id, price: price.body.id, collection_method: 'send_invoice' });
  expect(subscription.status).toBe(200);
  // The first period's invoice is emailed: the link the customer clicks is in what the mailer delivered.
  const email = await eventually(
    () => {
      const sent = api.mailer.delivered.find((e) => e.idempotencyKey.startsWith('invoice_sent:') && e.to === customer.body.email);
      if (!sent) throw new Error('no invoice email yet');
      return sent;
    },
    { timeoutMs: 60_000 },
  );
  const link = new RegExp(`${stack.baseUrl}/invoices/[A-Za-z0-9_]+/[A-Za-z0-9_-]{43}`).exec(email.text)?.[0];
  if (!link) throw new Error(`no hosted invoice link in the email:\n${email.text}`);
  const invoiceId = email.idempotencyKey.slice('invoice_sent:'.length);
  return { customerId: customer.body.id as string, subscriptionId: subscription.body.id as string, invoiceId, link };
}

async function payWith(page: import('playwright-core').Page, number: string, autopay: boolean) {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry date (MM / YY)').fill('12 / 45');
  await page.getByLabel('Security code (CVC)').fill('123');
  if (autopay) await page.getByRole('checkbox', { name: /I authorise .* to charge this card for future invoices of this subscription/ }).check();
  await page.getByRole('button', { name: 'Pay $49.00' }).click();
}

test('from the invoice email to a paid invoice: PDF, a declined card, then 4242 with autopay', async () => {
  const { customerId, subscriptionId, invoiceId, link } = await emailedSubscriptionInvoice();
  const { context, page } = await newPage(browser);

  const first = await page.goto(link);
  expect({ status: first!.status(), html: first!.status() === 200 ? '' : await page.content() }).toEqual({ status: 200, html: '' });
  await page.getByRole('heading', { level: 1, name: /^Invoice / }).waitFor();
  expect(await page.getByRole('heading', { name: 'Amount due: $49.00' }).count()).toBe(1);
  expect(await page.locator('.status').textContent()).toBe('Open');
  expect(await page.getByRole('cell', { name: 'Analytics plan' }).count()).toBeGreaterThan(0);
  await auditPage(page, 'hosted-invoice-open');

  // The PDF link downloads the invoice as the portal serves it.
  const pdfHref = await page.getByRole('link', { name: 'Download PDF' }).getAttribute('href');
  const pdf = await page.request.get(new URL(pdfHref!, page.url()).toString());
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()['content-type']).toBe('application/pdf');
  expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

  // A declined card: the decline is shown with the form again; nothing is paid.
  await payWith(page, '4000 0000 0000 0002', false);
  await page.getByRole('alert').filter({ hasText: 'Your card was declined' }).waitFor();
  expect(await page.getByRole('alert').textContent()).toContain('Your card was declined.');
  expect(await page.getByRole('button', { name: 'Pay $49.00' }).count()).toBe(1);
  await auditPage(page, 'hosted-invoice-declined');
  const open = await stack.harness.call('operator', 'GET', `/v1/invoices/${invoiceId}`);
  expect(open.body).toMatchObject({ status: 'open', amount_due: 4900 });

  // The 4242 test card with autopay ticked: paid, and future invoices charged to it.
  await payWith(page, '4242 4242 4242 4242', true);
  await page.getByRole('status').filter({ hasText: 'Payment received' }).waitFor();
  expect(await page.locator('.status').textContent()).toBe('Paid');
  expect(await page.getByText('Automatic payments are on').count()).toBe(1);
  expect(await page.getByRole('button', { name: /^Pay / }).count()).toBe(0);
  await auditPage(page, 'hosted-invoice-paid');

  // Reloading the link later: paid with its date, no form.
  await page.goto(link);
  expect(await page.getByText(/This invoice was paid on/).count()).toBe(1);
  expect(await page.locator('form[action$="/pay"]').count()).toBe(0);
  await auditPage(page, 'hosted-invoice-paid-revisited');
  await context.close();

  const em = stack.harness.orm.em.fork();
  expect(await em.findOneOrFail(Invoice, { id: invoiceId })).toMatchObject({ status: 'paid', amountDue: 0, amountPaid: 4900 });
  const payments = await em.find(Payment, { invoiceId });
  expect(payments.filter((p) => p.status === 'succeeded')).toHaveLength(1);
  expect(payments.filter((p) => p.status === 'succeeded')[0]).toMatchObject({ amount: 4900, paymentMethod: 'pm_card_visa' });
  expect(payments.filter((p) => p.status === 'failed')).toHaveLength(1);
  expect((await em.findOneOrFail(Subscription, { id: subscriptionId })).collectionMethod).toBe('charge_automatically');
  const consents = await em.find(AutopayConsent, { subscriptionId });
  expect(consents).toHaveLength(1);
  expect(consents[0]).toMatchObject({ customerId, invoiceId, paymentMethod: 'pm_card_visa', clientIp: '127.0.0.1' });
  expect(consents[0]!.consentText).toMatch(/^I authorise .+ to charge this card for future invoices of this subscription/);
  expect(consents[0]!.userAgent).toContain('Chrome');
});

test('a tampered link, an unknown invoice and a percent-encoded token all get the same 404 page', async () => {
  const { invoiceId, link } = await emailedSubscriptionInvoice();
  const token = link.slice(link.lastIndexOf('/') + 1);
  const tampered = `${link.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
  const { context, page } = await newPage(browser);
  const response = await page.goto(tampered);
  expect(response!.status()).toBe(404);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
  expect(await page.content()).not.toContain(invoiceId.slice(3));
  await auditPage(page, 'hosted-invoice-not-found');

  const encoded = `${link.slice(0, -token.length)}%${token.charCodeAt(0).toString(16)}${token.slice(1)}`;
  for (const url of [encoded, `${stack.baseUrl}/invoices/in_unknown/${token}`, `${tampered}/pdf`]) {
    const other = await page.request.get(url);
    expect({ url, status: other.status() }).toEqual({ url, status: 404 });
    expect(await other.text()).toContain('Page not found');
  }
  // A POST to a bad link is the 404 page too, before the form's CSRF token is even looked at.
  const post = await page.request.post(`${tampered}/pay`, { form: { card_number: '4242424242424242' } });
  expect(post.status()).toBe(404);
  await context.close();
});

test('the same form sent twice at once (a double click) charges once', async () => {
  const { invoiceId, link } = await emailedSubscriptionInvoice();
  const { context, page } = await newPage(browser);
  await page.goto(link);
  const form = page.locator('form[action$="/pay"]');
  const fields = {
    _csrf: (await form.locator('input[name=_csrf]').getAttribute('value'))!,
    submission: (await form.locator('input[name=submission]').getAttribute('value'))!,
    card_number: '4242 4242 4242 4242',
    card_expiry: '12 / 45',
    card_cvc: '123',
  };
  const action = new URL((await form.getAttribute('action'))!, page.url()).toString();
  // The browser's own cookies (the CSRF secret) go with both, as with a second click on the button.
  const answers = await Promise.all([page.request.post(action, { form: fields }), page.request.post(action, { form: fields })]);
  for (const answer of answers) {
    expect(answer.status()).toBe(200);
    expect(await answer.text()).toContain('Paid');
  }
  const payments = await stack.harness.orm.em.fork().find(Payment, { invoiceId });
  expect(payments.map((p) => p.status)).toEqual(['succeeded']);
  const ledger = await stack.harness.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from sandbox_charges where idempotency_key like ?`, [`${invoiceId}%`]);
  expect(Number(ledger[0]!.n)).toBe(1);
  await context.close();
});
