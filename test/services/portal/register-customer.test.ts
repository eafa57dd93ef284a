/**
 * Registration against real PostgreSQL and the Temporal dev server (a worker on this file's own task
 * queue): a one-time price makes an open invoice that its collection charges at once; a recurring one
 * a subscription with the consent recorded; an address any customer already has (in any case) is
 * refused and nothing is written; only active prices of active products are offered.
 */
import { randomUUID } from 'node:crypto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { ChargeConsent, Customer, Invoice, Price, Product, Subscription } from '../../../db/entities';
import { newId } from '../../../db/ids';
import { offeredPrice, offeredPrices } from '../../../services/portal/offered-prices';
import { registerCustomer, type RegistrationDeps } from '../../../services/portal/register-customer';
import { openServiceStack, type ServiceStack } from '../../support/service-stack';
import { testBillingWorker } from '../../support/billing-worker';
import { createCustomer } from '../../support/fixtures';
import { eventually } from '../../support/eventually';
import { requireEnv } from '../../support/env';
import { quietTemporalLogs } from '../../support/temporal-env';

let stack: ServiceStack;
let workerConnection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
let deps: RegistrationDeps;
const taskQueue = `registration-test-${randomUUID()}`;

beforeAll(async () => {
  quietTemporalLogs();
  stack = await openServiceStack();
  workerConnection = await NativeConnection.connect({ address: requireEnv('TEMPORAL_ADDRESS') });
  worker = await testBillingWorker({ connection: workerConnection, taskQueue, orm: stack.orm, invoiceNumberPrefix: 'REG-' });
  workerRun = worker.run();
  deps = { orm: stack.orm, temporal: stack.temporal, taskQueue, invoiceNumbering: { prefix: 'REG-', padding: 6 } };
});
afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await stack?.close();
});

async function catalogPrice(fields: Partial<Price>, productActive = true): Promise<Price> {
  const em = stack.orm.em.fork();
  const now = new Date();
  const product = em.create(Product, { id: newId('product'), name: `Setup ${randomUUID().slice(0, 6)}`, description: null, active: productActive, metadata: {}, createdAt: now, updatedAt: now });
  await em.flush();
  const price = em.create(Price, {
    id: newId('price'),
    productId: product.id,
    nickname: null,
    currency: 'EUR',
    unitAmount: 150_00,
    type: 'one_time',
    intervalUnit: null,
    intervalCount: null,
    active: true,
    metadata: {},
    createdAt: now,
    updatedAt: now,
    ...fields,
  });
  await em.flush();
  return price;
}

const registration = async (priceId: string, email: string, consent: boolean) => ({
  name: 'Katherine Johnson',
  email,
  offer: (await offeredPrice(stack.orm.em.fork(), priceId))!,
  paymentMethod: 'pm_card_visa',
  consent: consent ? { text: 'I authorise Billing to charge my card.', ipAddress: '203.0.113.9', userAgent: 'test' } : null,
  now: new Date(),
});

it('a one-time price: the customer in its currency, an open invoice charged at once with the saved card', async () => {
  const price = await catalogPrice({});
  const email = `kj-${randomUUID()}@example.com`;
  const outcome = await registerCustomer(deps, await registration(price.id, email, false));
  if (!outcome.registered) throw new Error('refused');
  expect(outcome.subscriptionId).toBeNull();
  const customer = await stack.orm.em.fork().findOneOrFail(Customer, { id: outcome.customerId });
  expect(customer).toMatchObject({ email, currency: 'EUR', defaultPaymentMethod: 'pm_card_visa', metadata: { source: 'portal_registration' } });
  const invoice = await eventually(async () => {
    const found = await stack.orm.em.fork().findOneOrFail(Invoice, { id: outcome.invoiceId! });
    expect(found.status).toBe('paid');
    return found;
  });
  expect(invoice).toMatchObject({ customerId: customer.id, total: 150_00, amountPaid: 150_00, currency: 'EUR', collectionMethod: 'charge_automatically' });
  expect(invoice.number).toMatch(/^REG-\d{6}$/);
});

it('a recurring price: a subscription started, the consent kept with its sentence, address and time', async () => {
  const price = await catalogPrice({ type: 'recurring', intervalUnit: 'month', intervalCount: 1, unitAmount: 9_00 });
  const outcome = await registerCustomer(deps, await registration(price.id, `kj-${randomUUID()}@example.com`, true));
  if (!outcome.registered) throw new Error('refused');
  await eventually(async () => expect((await stack.orm.em.fork().findOneOrFail(Subscription, { id: outcome.subscriptionId! })).status).toBe('active'));
  const consent = await stack.orm.em.fork().findOneOrFail(ChargeConsent, { subscriptionId: outcome.subscriptionId! });
  expect(consent).toMatchObject({ customerId: outcome.customerId, priceId: price.id, text: 'I authorise Billing to charge my card.', ipAddress: '203.0.113.9' });
  await expect(registerCustomer(deps, await registration(price.id, `kj-${randomUUID()}@example.com`, false))).rejects.toThrow(/consent/);
});

it('refuses an address a customer already has, in any case, and writes nothing', async () => {
  const email = `Taken.${randomUUID()}@Example.com`;
  await createCustomer(stack.orm, { email });
  const price = await catalogPrice({});
  expect(await registerCustomer(deps, await registration(price.id, `  ${email.toLowerCase()} `, false))).toEqual({ registered: false, reason: 'email_taken' });
  // Counted by this test's own address and price: other test files write customers to the same database meanwhile.
  const em = stack.orm.em.fork();
  expect(await em.count(Customer, { email: { $ilike: email } })).toBe(1);
  expect(await em.count(ChargeConsent, { priceId: price.id })).toBe(0);
});

it('two registrations racing with one address make one customer', async () => {
  const price = await catalogPrice({});
  const email = `race-${randomUUID()}@example.com`;
  const outcomes = await Promise.all([registerCustomer(deps, await registration(price.id, email, false)), registerCustomer(deps, await registration(price.id, email.toUpperCase(), false))]);
  expect(outcomes.filter((o) => o.registered)).toHaveLength(1);
  expect(await stack.orm.em.fork().count(Customer, { email: { $ilike: email } })).toBe(1);
});

it('offers active prices of active products only', async () => {
  const offered = await catalogPrice({});
  const inactive = await catalogPrice({ active: false });
  const ofInactiveProduct = await catalogPrice({}, false);
  const ids = (await offeredPrices(stack.orm.em.fork())).map((o) => o.price.id);
  expect(ids).toContain(offered.id);
  expect(ids).not.toContain(inactive.id);
  expect(ids).not.toContain(ofInactiveProduct.id);
  expect(await offeredPrice(stack.orm.em.fork(), inactive.id)).toBeNull();
  expect(await offeredPrice(stack.orm.em.fork(), ofInactiveProduct.id)).toBeNull();
});
