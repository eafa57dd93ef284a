/**
 * Checkout on a payment link against PostgreSQL, the Temporal dev server and the real billing worker
 * (sandbox gateway, outbox): a paid one-time order with its confirmations, a double submit that
 * charges once, a declined card undone and then paid on a fresh form, a trial subscription, and the
 * refusals that name the form field.
 */
import { randomUUID } from 'node:crypto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { CheckoutSession, CompanyProfile, COMPANY_PROFILE_ID, Customer, Email, Invoice, Payment, Subscription } from '../../../db/entities';
import { createPaymentLink, type CreatePaymentLinkRequest } from '../../../services/payment-links/payment-links';
import { completeCheckout, type CheckoutRequest } from '../../../services/checkout/complete-checkout';
import { newCheckoutToken } from '../../../services/checkout/checkout-token';
import { RuleViolation } from '../../../domain/rule-violation';
import { createCustomer, createRecurringPrice } from '../../support/fixtures';
import { eventually } from '../../support/eventually';
import { holdCompanyProfile, releaseCompanyProfile } from '../../support/company-profile-lock';
import { requireEnv } from '../../support/env';
import { testBillingWorker } from '../../support/billing-worker';
import { openServiceStack, type ServiceStack } from '../../support/service-stack';
import { quietTemporalLogs } from '../../support/temporal-env';
import { PaymentLink, Price, Product } from '../../../db/entities';
import { newId } from '../../../db/ids';

const taskQueue = `checkout-tests-${randomUUID()}`;
let stack: ServiceStack;
let workerConnection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
const numbering = { prefix: 'CHK-', padding: 6 };

beforeAll(async () => {
  quietTemporalLogs();
  stack = await openServiceStack();
  workerConnection = await NativeConnection.connect({ address: requireEnv('TEMPORAL_ADDRESS') });
  worker = await testBillingWorker({ connection: workerConnection, taskQueue, orm: stack.orm });
  workerRun = worker.run();
});
afterEach(releaseCompanyProfile);
afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await stack?.close();
});

async function oneTimePrice(unitAmount: number): Promise<string> {
  const em = stack.orm.em.fork();
  const now = new Date();
  const product = em.create(Product, { id: newId('product'), name: 'Workshop seat', description: null, active: true, metadata: {}, createdAt: now, updatedAt: now });
  await em.flush();
  const price = em.create(Price, {
    id: newId('price'), productId: product.id, nickname: null, currency: 'USD', unitAmount, type: 'one_time',
    intervalUnit: null, intervalCount: null, active: true, metadata: {}, createdAt: now, updatedAt: now,
  });
  await em.flush();
  return price.id;
}

const link = (body: CreatePaymentLinkRequest) => createPaymentLink(stack.orm.em.fork(), body);
const deps = () => ({ orm: stack.orm, temporal: stack.temporal, taskQueue, numbering });
const buyer = (email: string) => ({ email, name: 'Ada Buyer', address: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' } });
const request = (linkId: string, fields: Partial<CheckoutRequest> = {}): CheckoutRequest => ({
  linkId, token: newCheckoutToken(), quantities: [], buyer: buyer(`buyer-${randomUUID()}@example.com`), paymentMethod: 'pm_card_visa', ...fields,
});

async function settled(sessionId: string): Promise<CheckoutSession> {
  return eventually(async () => {
    const session = await stack.orm.em.fork().findOneOrFail(CheckoutSession, { id: sessionId });
    expect(session.status).not.toBe('open');
    return session;
  }, { timeoutMs: 30_000, intervalMs: 200 });
}

describe('completeCheckout', () => {
  it('charges the one-time lines at once and confirms to the buyer and the merchant', async () => {
    // The merchant's address for order confirmations is the company profile's, one row for every test
    // file running beside this one (the company profile's and the checkout pages' tests set their own):
    // held until this test has seen the confirmation go to it (released after the test).
    await holdCompanyProfile(stack.orm);
    await stack.orm.em.fork().nativeUpdate(CompanyProfile, { id: COMPANY_PROFILE_ID }, { contactEmail: 'sales@merchant.example' });
    const seat = await oneTimePrice(5_000);
    const kit = await oneTimePrice(1_250);
    const l = await link({ line_items: [{ price: seat, quantity: 1, adjustable_quantity: { enabled: true, minimum: 1, maximum: 5 } }, { price: kit, quantity: 1 }] });
    const attached: string[][] = [];
    const attachCard = async (customerId: string, paymentMethod: string) => void attached.push([customerId, paymentMethod]);
    const session = await completeCheckout({ ...deps(), attachCard }, request(l.id, { quantities: [3, 9] }));
    expect(session).toMatchObject({ status: 'open', amountTotal: 16_250, subscriptionIds: [] });
    // The card is made chargeable for the customer the order billed (Stripe: attached to its gateway customer).
    expect(attached).toEqual([[session.customerId, 'pm_card_visa']]);
    expect((await settled(session.id)).status).toBe('complete');

    const em = stack.orm.em.fork();
    const invoice = await em.findOneOrFail(Invoice, { id: session.invoiceId! });
    expect(invoice).toMatchObject({ status: 'paid', total: 16_250, collectionMethod: 'charge_automatically' });
    const payments = await em.find(Payment, { invoiceId: invoice.id });
    expect(payments.map((p) => [p.status, p.amount])).toEqual([['succeeded', 16_250]]);
    const customer = await em.findOneOrFail(Customer, { id: session.customerId });
    expect(customer).toMatchObject({ defaultPaymentMethod: 'pm_card_visa', currency: 'USD', billingAddress: { city: 'Springfield' } });
    await eventually(async () => {
      const emails = await stack.orm.em.fork().find(Email, { customerId: customer.id });
      expect(emails.map((e) => [e.kind, e.to]).sort()).toEqual(
        [['checkout_completed', customer.email], ['checkout_completed_owner', 'sales@merchant.example'], ['payment_receipt', customer.email]].sort(),
      );
    });
  });

  it('answers a double submit of one form with the same session and charges once', async () => {
    const l = await link({ line_items: [{ price: await oneTimePrice(2_000), quantity: 1 }] });
    const form = request(l.id);
    const [first, second] = await Promise.all([completeCheckout(deps(), form), completeCheckout(deps(), form)]);
    expect(second.id).toBe(first.id);
    await settled(first.id);
    const again = await completeCheckout(deps(), form);
    expect(again).toMatchObject({ id: first.id, status: 'complete' });
    const em = stack.orm.em.fork();
    expect(await em.count(Invoice, { customerId: first.customerId })).toBe(1);
    expect(await em.count(Payment, { customerId: first.customerId, status: 'succeeded' })).toBe(1);
  });

  it('undoes a declined checkout; a fresh form with a good card pays once, for the returning customer', async () => {
    const l = await link({ line_items: [{ price: await oneTimePrice(4_200), quantity: 1 }] });
    const email = `returning-${randomUUID()}@example.com`;
    const firstToken = newCheckoutToken();
    const declined = await completeCheckout(deps(), request(l.id, { token: firstToken, buyer: buyer(email), paymentMethod: 'pm_card_chargeDeclined' }));
    const failed = await settled(declined.id);
    expect(failed).toMatchObject({ status: 'failed', failureMessage: 'Your card was declined.' });
    await eventually(async () => expect((await stack.orm.em.fork().findOneOrFail(Invoice, { id: declined.invoiceId! })).status).toBe('void'));

    // The page shows the form again carrying the declined attempt's token: the retry bills the same customer.
    const retried = await completeCheckout(deps(), request(l.id, { buyer: buyer(email.toUpperCase()), paymentMethod: 'pm_card_visa', previousToken: firstToken }));
    expect(retried.customerId).toBe(declined.customerId);
    expect((await settled(retried.id)).status).toBe('complete');
    const em = stack.orm.em.fork();
    const payments = await em.find(Payment, { customerId: declined.customerId });
    expect(payments.filter((p) => p.status === 'succeeded').map((p) => p.invoiceId)).toEqual([retried.invoiceId]);
    expect(await em.count(Customer, { email: { $ilike: email } })).toBe(1);
    // The page showed the decline; no email promises retries of an order the checkout undid.
    expect(await em.count(Email, { customerId: declined.customerId, kind: { $in: ['payment_failed', 'payment_failed_final'] } })).toBe(0);
  });

  it('a subscription whose first charge is declined at checkout is canceled, and the buyer gets no failure email', async () => {
    const plan = await createRecurringPrice(stack.orm, { unitAmount: 2_900 });
    const l = await link({ line_items: [{ price: plan.id, quantity: 1 }] });
    const declined = await completeCheckout(deps(), request(l.id, { paymentMethod: 'pm_card_chargeDeclined' }));
    expect(declined).toMatchObject({ invoiceId: null, recurringTotal: 2_900 });
    expect(await settled(declined.id)).toMatchObject({ status: 'failed', failureMessage: 'Your card was declined.' });
    const subscriptionId = declined.subscriptionIds[0]!;
    await eventually(async () => expect((await stack.orm.em.fork().findOneOrFail(Subscription, { id: subscriptionId })).status).toBe('canceled'));
    const em = stack.orm.em.fork();
    const [first] = await em.find(Invoice, { subscriptionId });
    await eventually(async () => expect((await stack.orm.em.fork().findOneOrFail(Invoice, { id: first!.id })).status).toBe('void'));
    expect(await em.count(Payment, { invoiceId: first!.id, status: 'failed' })).toBe(1);
    expect(await em.count(Email, { customerId: declined.customerId, kind: { $in: ['payment_failed', 'payment_failed_final'] } })).toBe(0);
  });

  it("never touches an existing customer found by the typed email: a stranger's checkout bills a new customer", async () => {
    const l = await link({ line_items: [{ price: await oneTimePrice(1_500), quantity: 1 }] });
    const victim = await createCustomer(stack.orm, { email: `victim-${randomUUID()}@example.com` });
    const victimCard = (await stack.orm.em.fork().findOneOrFail(Customer, { id: victim.id })).defaultPaymentMethod;
    // Typed in another case, and with the token of a session of another link or of nobody's: still not the victim.
    const strangers = [
      await completeCheckout(deps(), request(l.id, { buyer: buyer(victim.email.toUpperCase()), paymentMethod: 'pm_card_chargeDeclined' })),
      await completeCheckout(deps(), request(l.id, { buyer: buyer(victim.email), paymentMethod: 'pm_card_visa', previousToken: newCheckoutToken() })),
    ];
    for (const session of strangers) expect(session.customerId).not.toBe(victim.id);
    await Promise.all(strangers.map((s) => settled(s.id)));
    const em = stack.orm.em.fork();
    expect((await em.findOneOrFail(Customer, { id: victim.id })).defaultPaymentMethod).toBe(victimCard);
    expect(await em.count(Invoice, { customerId: victim.id })).toBe(0);
  });

  it('starts a trialing subscription for a recurring price, charging nothing now', async () => {
    const plan = await createRecurringPrice(stack.orm, { unitAmount: 3_000 });
    const l = await link({ line_items: [{ price: plan.id, quantity: 2 }], subscription_data: { trial_period_days: 14 } });
    const session = await completeCheckout(deps(), request(l.id));
    expect(session).toMatchObject({ invoiceId: null, amountTotal: 0, recurringTotal: 6_000 });
    expect((await settled(session.id)).status).toBe('complete');
    await eventually(async () => {
      const subscription = await stack.orm.em.fork().findOneOrFail(Subscription, { id: session.subscriptionIds[0]! });
      expect(subscription.status).toBe('trialing');
      expect(subscription.trialEnd!.getTime() - subscription.startDate.getTime()).toBe(14 * 86_400_000);
    });
  });

  it('starts a subscription on the day the buyer chose, billing nothing before it', async () => {
    const plan = await createRecurringPrice(stack.orm, { unitAmount: 4_000 });
    const l = await link({ line_items: [{ price: plan.id, quantity: 1 }], allow_future_start: { enabled: true, maximum_days: 30 } });
    const day = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const session = await completeCheckout(deps(), request(l.id, { startDate: day }));
    expect(session.startDate.toISOString()).toBe(`${day}T00:00:00.000Z`);
    expect((await settled(session.id)).status).toBe('complete');
    const em = stack.orm.em.fork();
    const subscription = await em.findOneOrFail(Subscription, { id: session.subscriptionIds[0]! });
    expect(subscription.startDate.toISOString()).toBe(`${day}T00:00:00.000Z`);
    expect(await em.count(Invoice, { subscriptionId: subscription.id })).toBe(0);
    const beyond = new Date(Date.now() + 31 * 86_400_000).toISOString().slice(0, 10);
    const err = await completeCheckout(deps(), request(l.id, { startDate: beyond })).catch((e: unknown) => e);
    expect((err as RuleViolation).param).toBe('start_date');
  });

  it('refuses what the link does not allow, naming the field, and writes nothing', async () => {
    const l = await link({ line_items: [{ price: await oneTimePrice(1_000), quantity: 1, adjustable_quantity: { enabled: true, maximum: 3 } }] });
    const refused = async (fields: Partial<CheckoutRequest>) => {
      const err = await completeCheckout(deps(), request(l.id, fields)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuleViolation);
      return (err as RuleViolation).param;
    };
    expect(await refused({ quantities: [4] })).toBe('line_items[0][quantity]');
    expect(await refused({ quantities: [0] })).toBe('line_items[0][quantity]');
    expect(await refused({ startDate: '2030-01-01' })).toBe('start_date');
    const em = stack.orm.em.fork();
    expect(await em.count(CheckoutSession, { paymentLinkId: l.id })).toBe(0);
    await em.nativeUpdate(PaymentLink, { id: l.id }, { active: false });
    expect(await refused({})).toBe('link');
  });
});
