/**
 * The customer portal in a real Chromium against the whole stack (API, worker, Temporal dev server,
 * PostgreSQL): signing in with the link the worker emailed, what is due on the home page, paying an
 * open invoice (a declined card, then 4242), its PDF, pausing, resuming and asking to cancel a
 * subscription; another customer's records are 404 pages; registering with a recurring plan (consent
 * required and recorded), and again with the same address (refused); a staff-issued session URL
 * (`/portal#token=cps_...`) opening the portal.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { CancellationRequest, ChargeConsent, Customer, Subscription } from '../../db/entities';
import { eventually } from '../support/eventually';
import { startPageStack, type PageStack } from './support/page-stack';
import { auditPage, newPage, openBrowser } from './support/browser';

jest.setTimeout(240_000);

let stack: PageStack;
let browser: Browser;
let monthly: string;
let productName: string;

beforeAll(async () => {
  stack = await startPageStack();
  browser = await openBrowser();
  productName = `Portal plan ${randomUUID().slice(0, 8)}`;
  const product = (await stack.harness.call('admin', 'POST', '/v1/products', { name: productName })).body.id;
  monthly = (await stack.harness.call('admin', 'POST', '/v1/prices', { product, currency: 'usd', unit_amount: 29_00, recurring: { interval: 'month' } })).body.id;
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const api = () => stack.harness;

async function newCustomer(email: string): Promise<string> {
  const res = await api().call('sales', 'POST', '/v1/customers', { email, name: 'Ada Lovelace', currency: 'usd', default_payment_method: 'pm_card_visa' });
  expect(res.status).toBe(200);
  return res.body.id;
}

/** An emailed (send_invoice) one-off invoice: it stays open until paid. */
async function openInvoice(customer: string, amount: number): Promise<string> {
  const draft = await api().call('sales', 'POST', '/v1/invoices', { customer, collection_method: 'send_invoice', lines: [{ description: 'Consulting', unit_amount: amount }] });
  expect((await api().call('sales', 'POST', `/v1/invoices/${draft.body.id}/finalize`)).status).toBe(200);
  return draft.body.id;
}

async function billedSubscription(customer: string): Promise<string> {
  const created = await api().call('sales', 'POST', '/v1/subscriptions', { customer, price: monthly });
  expect(created.status).toBe(200);
  await eventually(async () => expect((await api().call('operator', 'GET', `/v1/subscriptions/${created.body.id}`)).body.status).toBe('active'));
  // Its first period's invoice charged, so the customer's open invoices are only the ones a test makes.
  await eventually(async () => {
    const invoices = (await api().call('operator', 'GET', `/v1/invoices?subscription=${created.body.id}`)).body.data as { status: string }[];
    expect(invoices.map((i) => i.status)).toEqual(['paid']);
  });
  return created.body.id;
}

async function fillCard(page: Page, number: string) {
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry date (MM / YY)').fill('12 / 34');
  await page.getByLabel('Security code (CVC)').fill('123');
}

/** The sign-in link the worker delivered to `email` (the outbox copy has it redacted). */
async function deliveredSignInLink(email: string): Promise<string> {
  return eventually(() => {
    const delivered = api().mailer.delivered.filter((e) => e.to === email && e.idempotencyKey.startsWith('portal_sign_in:')).at(-1);
    const link = delivered && new RegExp(`${stack.baseUrl}/portal/sign-in/psl_[A-Za-z0-9_-]{32}`).exec(delivered.text)?.[0];
    expect(link).toBeDefined();
    return link!;
  });
}

test('a customer signs in by emailed link, sees what is due, pays an invoice, downloads it, pauses, resumes and asks to cancel', async () => {
  const email = `ada-${randomUUID()}@example.com`;
  const customer = await newCustomer(email);
  const subscription = await billedSubscription(customer);
  const invoice = await openInvoice(customer, 120_00);
  await openInvoice(customer, 80_00);
  const other = await newCustomer(`other-${randomUUID()}@example.com`);
  const othersInvoice = await openInvoice(other, 50_00);
  const othersSubscription = await billedSubscription(other);

  const { context, page } = await newPage(browser);
  await page.goto(`${stack.baseUrl}/portal/invoices`);
  expect(new URL(page.url()).pathname).toBe('/portal/sign-in');
  await auditPage(page, 'portal-sign-in');
  await page.getByLabel('Email address').fill(email.toUpperCase());
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await auditPage(page, 'portal-check-email');

  const link = await deliveredSignInLink(email);
  await page.goto(link);
  await auditPage(page, 'portal-confirm-sign-in');
  await page.getByRole('button', { name: 'Sign in now' }).click();
  await page.waitForURL(`${stack.baseUrl}/portal`);
  expect(await page.locator('[data-open-invoices]').getAttribute('data-open-invoices')).toBe('2');
  expect(await page.locator('.amount-due').textContent()).toBe('$200.00');
  expect(await page.locator('.next-renewal').count()).toBe(1);
  await auditPage(page, 'portal-home');

  // The link worked once: used again, it opens nothing.
  const reuse = await context.newPage();
  await reuse.goto(link);
  expect(await reuse.getByRole('heading', { name: 'This sign-in link does not work any more' }).count()).toBe(1);
  await reuse.close();

  await page.getByRole('link', { name: 'Invoices' }).click();
  await auditPage(page, 'portal-invoices');
  await page.goto(`${stack.baseUrl}/portal/invoices/${invoice}`);
  await auditPage(page, 'portal-invoice');
  await fillCard(page, '4000 0000 0000 0002');
  await page.getByRole('button', { name: 'Pay with this card' }).click();
  await page.locator('[data-result="declined"]').waitFor();
  expect(await page.locator('[data-status]').getAttribute('data-status')).toBe('open');
  await auditPage(page, 'portal-invoice-declined');
  await fillCard(page, '4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Pay with this card' }).click();
  await page.locator('[data-result="paid"]').waitFor();
  expect(await page.locator('[data-status]').getAttribute('data-status')).toBe('paid');
  await auditPage(page, 'portal-invoice-paid');
  expect((await api().call('operator', 'GET', `/v1/invoices/${invoice}`)).body.status).toBe('paid');

  const pdf = await context.request.get(`${stack.baseUrl}/portal/invoices/${invoice}/pdf`);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()['content-type']).toBe('application/pdf');
  expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

  await page.getByRole('link', { name: 'Subscriptions' }).click();
  await auditPage(page, 'portal-subscriptions');
  await page.locator(`a[href="/portal/subscriptions/${subscription}"]`).click();
  await auditPage(page, 'portal-subscription');
  await page.getByRole('button', { name: 'Pause billing' }).click();
  await page.locator('[data-done="paused"]').waitFor();
  expect(await page.locator('[data-status]').getAttribute('data-status')).toBe('paused');
  await auditPage(page, 'portal-subscription-paused');
  await page.getByRole('button', { name: 'Resume billing' }).click();
  await page.locator('[data-done="resumed"]').waitFor();
  expect(await page.locator('[data-status]').getAttribute('data-status')).toBe('active');

  await page.getByRole('button', { name: 'Ask to cancel' }).click();
  expect(await page.locator('#reason-error').textContent()).toBe('Choose a reason.');
  await auditPage(page, 'portal-cancel-errors');
  await page.getByLabel('Reason').selectOption({ label: 'It is too expensive' });
  await page.getByLabel('Anything else you would like to tell us (optional)').fill('Budget cuts this year.');
  await page.getByRole('button', { name: 'Ask to cancel' }).click();
  await page.locator('[data-done="cancel_requested"]').waitFor();
  expect(await page.locator('[data-cancellation="pending"]').count()).toBe(1);
  await auditPage(page, 'portal-cancel-requested');
  const request = await api().orm.em.fork().findOneOrFail(CancellationRequest, { subscriptionId: subscription });
  expect(request).toMatchObject({ status: 'pending', reason: 'too_expensive', comment: 'Budget cuts this year.', customerId: customer });

  // Another customer's records, however reached, are the 404 page.
  for (const path of [`/portal/invoices/${othersInvoice}`, `/portal/invoices/${othersInvoice}/pdf`, `/portal/subscriptions/${othersSubscription}`]) {
    const response = await page.goto(`${stack.baseUrl}${path}`);
    expect(response!.status()).toBe(404);
  }
  await auditPage(page, 'portal-not-found');
  const forged = await context.request.post(`${stack.baseUrl}/portal/subscriptions/${othersSubscription}/pause`, { form: { _csrf: 'x' } });
  expect(forged.status()).toBe(403);
  expect((await api().call('operator', 'GET', `/v1/subscriptions/${othersSubscription}`)).body.status).toBe('active');

  // Billing details: name and address change, the email address does not; a bad country code is named.
  await page.goto(`${stack.baseUrl}/portal`);
  await page.getByRole('link', { name: 'Billing details' }).click();
  await auditPage(page, 'portal-billing-details');
  await page.getByLabel('Name on invoices').fill('Ada King, Countess of Lovelace');
  await page.getByLabel('Address line 1').fill('12 St James Square');
  await page.getByLabel('City').fill('London');
  await page.getByLabel('Country code (2 letters, e.g. US)').fill('U1');
  await page.getByRole('button', { name: 'Save details' }).click();
  expect(await page.locator('#country-error').textContent()).toContain('2-letter country code');
  await auditPage(page, 'portal-billing-details-errors');
  await page.getByLabel('Country code (2 letters, e.g. US)').fill('gb');
  await page.getByRole('button', { name: 'Save details' }).click();
  await page.getByText('Your billing details are saved.').waitFor();
  const saved = await api().orm.em.fork().findOneOrFail(Customer, { id: customer });
  expect(saved).toMatchObject({ name: 'Ada King, Countess of Lovelace', email, billingAddress: { line1: '12 St James Square', city: 'London', country: 'GB' } });

  // The payment method: a new card becomes the default.
  await page.getByRole('link', { name: 'Payment method' }).click();
  expect(await page.getByText('We charge the test card ending in 4242.').count()).toBe(1);
  await fillCard(page, '5555 5555 5555 4444');
  await page.getByRole('button', { name: 'Save card' }).click();
  await page.getByText('Your card is saved.').waitFor();
  expect(await page.getByText('We charge the test card ending in 4444.').count()).toBe(1);
  await auditPage(page, 'portal-payment-method');

  await page.goto(`${stack.baseUrl}/portal`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You are signed out.').waitFor();
  await page.goto(`${stack.baseUrl}/portal/subscriptions`);
  expect(new URL(page.url()).pathname).toBe('/portal/sign-in');
  await context.close();
});

test('asking for a link with an address nobody has answers the same page and sends nothing', async () => {
  const { context, page } = await newPage(browser);
  const email = `nobody-${randomUUID()}@example.com`;
  await page.goto(`${stack.baseUrl}/portal/sign-in`);
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(api().mailer.delivered.filter((e) => e.to === email)).toHaveLength(0);
  await context.close();
});

test('a new customer registers with a recurring plan: consent required and recorded, the subscription active; the same address again is refused', async () => {
  const email = `grace-${randomUUID()}@example.com`;
  const { context, page } = await newPage(browser);
  await page.goto(`${stack.baseUrl}/portal/register`);
  await auditPage(page, 'portal-register');
  await page.getByLabel('Your name or company').fill('Grace Hopper');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel(new RegExp(`${productName}.*\\$29\\.00 per month`)).check();
  await fillCard(page, '4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Create account and pay' }).click();
  expect(await page.locator('#consent-error').textContent()).toContain('Tick the box');
  await auditPage(page, 'portal-register-errors');
  expect(await api().orm.em.fork().count(Customer, { email })).toBe(0);

  await page.getByRole('checkbox').check();
  await fillCard(page, '4242 4242 4242 4242');
  await page.getByRole('button', { name: 'Create account and pay' }).click();
  await page.waitForURL(`${stack.baseUrl}/portal`);
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await auditPage(page, 'portal-registered-home');

  const em = api().orm.em.fork();
  const customer = await em.findOneOrFail(Customer, { email });
  expect(customer).toMatchObject({ name: 'Grace Hopper', currency: 'USD', defaultPaymentMethod: 'pm_card_visa' });
  const subscription = await eventually(async () => {
    const found = await api().orm.em.fork().findOneOrFail(Subscription, { customerId: customer.id });
    expect(found.status).toBe('active');
    return found;
  });
  const consent = await em.findOneOrFail(ChargeConsent, { customerId: customer.id });
  expect(consent).toMatchObject({ subscriptionId: subscription.id, priceId: monthly });
  expect(consent.text).toMatch(/^I authorise .+ to charge my card the price of the plan I chose at the start of every billing period until I cancel\.$/);
  expect(Math.abs(consent.givenAt.getTime() - Date.now())).toBeLessThan(120_000);
  await context.close();

  const again = await newPage(browser);
  await again.page.goto(`${stack.baseUrl}/portal/register`);
  await again.page.getByLabel('Your name or company').fill('Someone else');
  await again.page.getByLabel('Email address').fill(email.toUpperCase());
  await again.page.getByLabel(new RegExp(`${productName}.*\\$29\\.00 per month`)).check();
  await again.page.getByRole('checkbox').check();
  await fillCard(again.page, '4242 4242 4242 4242');
  await again.page.getByRole('button', { name: 'Create account and pay' }).click();
  await again.page.getByText('This email address already has an account: sign in instead.').waitFor();
  await auditPage(again.page, 'portal-register-taken');
  expect(await api().orm.em.fork().count(Customer, { email: { $ilike: email } })).toBe(1);
  await again.context.close();
});

test('a session URL issued through the API opens the portal in the browser; a sales-opened one offers no payment or pause', async () => {
  const customer = await newCustomer(`embed-${randomUUID()}@example.com`);
  const subscription = await billedSubscription(customer);
  const invoice = await openInvoice(customer, 40_00);
  const issued = await api().call('operator', 'POST', `/v1/customers/${customer}/portal-sessions`, {});
  expect(issued.status).toBe(200);
  const fragment = new URL(issued.body.url).hash;
  expect(fragment).toMatch(/^#token=cps_/);

  const { context, page } = await newPage(browser);
  await page.goto(`${stack.baseUrl}/portal${fragment}`);
  await page.locator('[data-open-invoices="1"]').waitFor();
  expect(page.url()).toBe(`${stack.baseUrl}/portal`);
  await auditPage(page, 'portal-embedded-home');
  await context.close();

  const sales = await api().call('sales', 'POST', `/v1/customers/${customer}/portal-sessions`, {});
  const limited = await newPage(browser);
  await limited.page.goto(`${stack.baseUrl}/portal${new URL(sales.body.url).hash}`);
  await limited.page.locator('[data-open-invoices="1"]').waitFor();
  await limited.page.goto(`${stack.baseUrl}/portal/invoices/${invoice}`);
  expect(await limited.page.getByRole('button', { name: /^Pay/ }).count()).toBe(0);
  await limited.page.goto(`${stack.baseUrl}/portal/subscriptions/${subscription}`);
  expect(await limited.page.getByRole('button', { name: 'Pause billing' }).count()).toBe(0);
  expect(await limited.page.getByRole('button', { name: 'Ask to cancel' }).count()).toBe(1);
  await auditPage(limited.page, 'portal-embedded-sales-subscription');
  await limited.context.close();
});
