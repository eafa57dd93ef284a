/**
 * Buying through a payment link in a real Chromium, against the whole stack (API, worker with the
 * sandbox gateway, Temporal, PostgreSQL): a one-time order paid with its confirmations, a trial
 * subscription, a declined card shown and then paid once with another card, and a link that no
 * longer works. Every page visited is audited (axe-core, CSP, script errors, screenshots).
 */
import type { Browser, Page } from 'playwright-core';
import { CheckoutSession, Customer, Email, Invoice, Payment, Subscription } from '../../db/entities';
import { eventually } from '../support/eventually';
import { holdCompanyProfile, releaseCompanyProfile } from '../support/company-profile-lock';
import { auditPage, newPage, openBrowser } from './support/browser';
import { startPageStack, type PageStack } from './support/page-stack';

jest.setTimeout(180_000);

let stack: PageStack;
let browser: Browser;
const MERCHANT = 'orders@acme-workshops.example';

beforeAll(async () => {
  stack = await startPageStack();
  browser = await openBrowser();
});
afterEach(releaseCompanyProfile);
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/**
 * The merchant's company profile; its contact email gets the order confirmations. The profile is one row
 * for every test file running beside this one (the company profile's and the checkout service's tests
 * set their own), so the test that checks the merchant's email holds it until then (released after it).
 */
async function merchantProfile(): Promise<void> {
  await holdCompanyProfile(stack.harness.orm);
  const profile = await stack.harness.app.inject({
    method: 'PUT',
    url: '/v1/company-profile',
    headers: { authorization: `Bearer ${stack.harness.keys.admin}` },
    payload: { legal_name: 'Acme Workshops LLC', display_name: 'Acme Workshops', brand_color: '#0F766E', contact_email: MERCHANT },
  });
  expect(profile.statusCode).toBe(200);
}

async function price(name: string, fields: Record<string, unknown>): Promise<string> {
  const product = await stack.harness.call('admin', 'POST', '/v1/products', { name });
  const created = await stack.harness.call('admin', 'POST', '/v1/prices', { product: product.body.id, currency: 'usd', ...fields });
  expect(created.status).toBe(200);
  return created.body.id;
}

async function link(body: Record<string, unknown>): Promise<string> {
  const created = await stack.harness.call('sales', 'POST', '/v1/payment-links', body);
  expect(created.status).toBe(200);
  return created.body.id;
}

async function fillBuyer(page: Page, email: string): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Full name').fill('Grace Buyer');
  await page.getByLabel('Billing address').fill('1 Harbour Road');
  await page.getByLabel('City').fill('Portsmouth');
  await page.getByLabel('Postal code').fill('03801');
  await page.getByLabel('Country (2-letter code, e.g. US)').fill('US');
}

async function fillCard(page: Page, number: string): Promise<void> {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry date (MM / YY)').fill('12 / 34');
  await page.getByLabel('Security code (CVC)').fill('123');
}

const sessionsOf = (linkId: string) => stack.harness.orm.em.fork().find(CheckoutSession, { paymentLinkId: linkId }, { orderBy: { id: 'asc' } });

test('a one-time link: adjust the quantity, pay, see the confirmation; the invoice is paid and both sides are emailed', async () => {
  await merchantProfile();
  const seat = await price('Workshop seat', { unit_amount: 5_000 });
  const kit = await price('Starter kit', { unit_amount: 1_000 });
  const id = await link({
    line_items: [{ price: seat, quantity: 1, adjustable_quantity: { enabled: true, minimum: 1, maximum: 5 } }, { price: kit, quantity: 1 }],
    after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: 'See you at the workshop on Friday.' } },
  });
  const { context, page } = await newPage(browser);
  await page.goto(`${stack.baseUrl}/pay/${id}`);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Checkout');
  expect(await page.locator('#due-today').textContent()).toBe('$60.00');
  await auditPage(page, 'checkout-one-time');

  await page.getByLabel('Quantity of Workshop seat').fill('2');
  await page.getByRole('button', { name: 'Update order' }).click();
  await page.waitForURL(/quantity_0=2/);
  expect(await page.locator('#due-today').textContent()).toBe('$110.00');

  await fillBuyer(page, 'grace@example.com');
  await fillCard(page, '4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Pay $110.00' }).click();
  await page.waitForURL(/\/complete\/cst_/);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Thank you for your order');
  expect(await page.locator('#custom-message').textContent()).toBe('See you at the workshop on Friday.');
  expect(await page.locator('#paid').textContent()).toBe('$110.00');
  await auditPage(page, 'checkout-complete');
  await context.close();

  const [session] = await sessionsOf(id);
  expect(session).toMatchObject({ status: 'complete', amountTotal: 11_000 });
  const em = stack.harness.orm.em.fork();
  expect(await em.findOneOrFail(Invoice, { id: session!.invoiceId! })).toMatchObject({ status: 'paid', total: 11_000, amountPaid: 11_000 });
  expect((await em.find(Payment, { invoiceId: session!.invoiceId! })).map((p) => [p.status, p.amount])).toEqual([['succeeded', 11_000]]);
  await eventually(async () => {
    const emails = await stack.harness.orm.em.fork().find(Email, { customerId: session!.customerId });
    expect(emails.map((e) => `${e.kind} ${e.to}`).sort()).toEqual(
      ['checkout_completed grace@example.com', `checkout_completed_owner ${MERCHANT}`, 'payment_receipt grace@example.com'].sort(),
    );
  });
});

test('a subscription link with a trial starts a trialing subscription and charges nothing now', async () => {
  const plan = await price('Pro plan', { unit_amount: 2_900, recurring: { interval: 'month' } });
  const id = await link({ line_items: [{ price: plan, quantity: 1 }], subscription_data: { trial_period_days: 14 } });
  const { context, page } = await newPage(browser);
  await page.goto(`${stack.baseUrl}/pay/${id}`);
  expect(await page.locator('#recurring-summary').textContent()).toContain('Free for 14 days, then $29.00 every month');
  await auditPage(page, 'checkout-subscription');
  await fillBuyer(page, `trial-${Date.now()}@example.com`);
  await fillCard(page, '4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.waitForURL(/\/complete\/cst_/);
  expect(await page.locator('main').textContent()).toContain('Your free trial ends on');
  await auditPage(page, 'checkout-subscription-complete');
  await context.close();

  const [session] = await sessionsOf(id);
  expect(session).toMatchObject({ status: 'complete', invoiceId: null, amountTotal: 0 });
  await eventually(async () => {
    const subscription = await stack.harness.orm.em.fork().findOneOrFail(Subscription, { id: session!.subscriptionIds[0]! });
    expect(subscription.status).toBe('trialing');
  });
});

test('a declined card shows the decline and charges nothing; another card then pays exactly once', async () => {
  const id = await link({ line_items: [{ price: await price('Consultation', { unit_amount: 7_500 }), quantity: 1 }] });
  const email = `declined-${Date.now()}@example.com`;
  const { context, page } = await newPage(browser);
  await page.goto(`${stack.baseUrl}/pay/${id}`);
  await fillBuyer(page, email);
  await fillCard(page, '4000 0000 0000 0002');
  await page.getByRole('button', { name: 'Pay $75.00' }).click();
  await page.waitForLoadState();
  const alert = page.getByRole('alert');
  expect(await alert.textContent()).toContain('Your card was declined.');
  expect(await page.getByLabel('Email', { exact: true }).inputValue()).toBe(email);
  await auditPage(page, 'checkout-declined');

  const em = stack.harness.orm.em.fork();
  const [declined] = await sessionsOf(id);
  expect(declined).toMatchObject({ status: 'failed' });
  await eventually(async () => expect((await stack.harness.orm.em.fork().findOneOrFail(Invoice, { id: declined!.invoiceId! })).status).toBe('void'));
  expect(await em.count(Payment, { customerId: declined!.customerId, status: 'succeeded' })).toBe(0);

  await fillCard(page, '4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Pay $75.00' }).click();
  await page.waitForURL(/\/complete\/cst_/);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Thank you for your order');
  await auditPage(page, 'checkout-retry-complete');
  await context.close();

  const sessions = await sessionsOf(id);
  expect(sessions.map((s) => s.status)).toEqual(['failed', 'complete']);
  const payments = await stack.harness.orm.em.fork().find(Payment, { customerId: declined!.customerId });
  expect(payments.filter((p) => p.status === 'succeeded').map((p) => [p.invoiceId, p.amount])).toEqual([[sessions[1]!.invoiceId, 7_500]]);
  expect(await stack.harness.orm.em.fork().count(Customer, { email })).toBe(1);
});

test('a form sent twice at once opens one session and charges once; a redirect link sends the buyer on after paying', async () => {
  const consultation = await price('Follow-up call', { unit_amount: 3_000 });
  const landing = await link({ line_items: [{ price: consultation, quantity: 1 }] });
  const id = await link({ line_items: [{ price: consultation, quantity: 1 }], after_completion: { type: 'redirect', redirect: { url: `${stack.baseUrl}/pay/${landing}` } } });
  const { context, page } = await newPage(browser);
  await page.goto(`${stack.baseUrl}/pay/${id}`);
  await fillBuyer(page, `twice-${Date.now()}@example.com`);
  await fillCard(page, '4242 4242 4242 4242');
  // Two submits of the same rendered form (same token and CSRF cookie), as a double click sends them.
  const statuses = (await page.evaluate(`(async () => {
    const form = document.querySelector('form[method=post]');
    const send = () => fetch(form.action, { method: 'POST', body: new URLSearchParams(new FormData(form)), redirect: 'manual' }).then((r) => r.type === 'opaqueredirect' ? 303 : r.status);
    return Promise.all([send(), send()]);
  })()`)) as number[];
  expect(statuses).toEqual([303, 303]);
  const sessions = await sessionsOf(id);
  expect(sessions).toHaveLength(1);
  expect(sessions[0]!.status).toBe('complete');
  expect(await stack.harness.orm.em.fork().count(Payment, { customerId: sessions[0]!.customerId, status: 'succeeded' })).toBe(1);

  // The form itself now: the confirmation forwards to the link's redirect URL (a page of its own here).
  await page.goto(`${stack.baseUrl}/pay/${id}`);
  await fillBuyer(page, `redirect-${Date.now()}@example.com`);
  await fillCard(page, '4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Pay $30.00' }).click();
  await page.waitForURL(`${stack.baseUrl}/pay/${landing}`);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Checkout');
  await auditPage(page, 'checkout-redirect-target');
  await context.close();
});

test('an inactive or unknown link shows that it is no longer available', async () => {
  const id = await link({ line_items: [{ price: await price('Old offer', { unit_amount: 1_000 }), quantity: 1 }] });
  await stack.harness.call('sales', 'POST', `/v1/payment-links/${id}`, { active: false });
  const { context, page } = await newPage(browser);
  for (const linkId of [id, 'plink_unknown']) {
    const response = await page.goto(`${stack.baseUrl}/pay/${linkId}`);
    expect(response!.status()).toBe(404);
    expect(await page.locator('main').textContent()).toContain('no longer available');
  }
  await auditPage(page, 'checkout-link-unavailable');
  await context.close();
});
