/**
 * The money-moving activities against real PostgreSQL and the sandbox gateway: retries and races
 * must never create a second invoice for a period, a gap in invoice numbers, or a second charge.
 */
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import { openDatabase, type MikroORM } from '../../db/orm';
import { Invoice, Payment } from '../../db/entities';
import { createActivities } from '../../activities';
import { SandboxGateway } from '../../activities/payments/sandbox-gateway';
import { PostgresSandboxLedger } from '../../activities/payments/sandbox-ledger';
import { OutboxMailer } from '../../activities/email/outbox-mailer';
import { GatewayUnavailableError, type ChargeRequest, type PaymentGateway } from '../../activities/payments/gateway';
import { chargeIdempotencyKey } from '../../activities/charging';
import { requireEnv } from '../support/env';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../support/fixtures';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

function activitiesWith(gateway: PaymentGateway, invoiceNumberPrefix = `T${randomUUID().slice(0, 8)}-`) {
  return createActivities({
    orm,
    gateway,
    mailer: new OutboxMailer(),
    log: pino({ level: 'silent' }),
    emailFrom: 'billing@example.com',
    publicUrl: 'http://localhost',
    invoiceNumberPrefix,
  });
}

/** Counts what reached the gateway, so a test can tell a replayed answer from a second charge. */
class CountingGateway implements PaymentGateway {
  readonly name = 'sandbox';
  readonly requests: ChargeRequest[] = [];
  failNext = 0;
  constructor(private readonly inner: PaymentGateway) {}
  async charge(request: ChargeRequest) {
    this.requests.push(request);
    if (this.failNext > 0) {
      this.failNext -= 1;
      // The charge went through at the gateway, but the answer was lost on the way back.
      await this.inner.charge(request);
      throw new GatewayUnavailableError('timeout waiting for the gateway');
    }
    return this.inner.charge(request);
  }
  refund: PaymentGateway['refund'] = (request) => this.inner.refund(request);
  retrieveRefund: PaymentGateway['retrieveRefund'] = (id) => this.inner.retrieveRefund(id);
}

async function subscriptionFixture(paymentMethod = 'pm_card_visa') {
  const customer = await createCustomer(orm, { defaultPaymentMethod: paymentMethod });
  const price = await createRecurringPrice(orm, { unitAmount: 1250 });
  const subscription = await createSubscriptionRecord(orm, customer, price, { anchor: new Date('2027-01-31T00:00:00Z'), quantity: 4 });
  return { customer, price, subscription };
}

const period = (index: number) => ({ index, start: `2027-0${index + 1}-01T00:00:00.000Z`, end: `2027-0${index + 2}-01T00:00:00.000Z` });

test('concurrent attempts to invoice the same period create one invoice', async () => {
  const { subscription } = await subscriptionFixture();
  const acts = activitiesWith(new SandboxGateway(new PostgresSandboxLedger(orm)));
  const input = { subscriptionId: subscription.id, period: period(0), issuedAt: '2027-01-31T00:00:00.000Z' };
  const results = await Promise.all(Array.from({ length: 8 }, () => acts.createSubscriptionInvoice(input)));
  expect(new Set(results.map((r) => r.invoiceId)).size).toBe(1);
  expect(results[0]).toMatchObject({ total: 5000, amountDue: 5000, currency: 'USD', status: 'open' });
  expect(await orm.em.fork().count(Invoice, { subscriptionId: subscription.id })).toBe(1);
});

test('invoice numbers have no gaps and no duplicates under concurrency, rolled-back attempts included', async () => {
  const prefix = `G${randomUUID().slice(0, 8)}-`;
  const acts = activitiesWith(new SandboxGateway(new PostgresSandboxLedger(orm)), prefix);
  const subs = await Promise.all(Array.from({ length: 6 }, () => subscriptionFixture()));
  // Each period is requested twice at once: the loser's transaction rolls back and must return its number.
  await Promise.all(
    subs.flatMap(({ subscription }) =>
      [0, 1].flatMap((index) =>
        [1, 2].map(() => acts.createSubscriptionInvoice({ subscriptionId: subscription.id, period: period(index), issuedAt: period(index).start })),
      ),
    ),
  );
  const numbers = (await orm.em.fork().find(Invoice, { number: { $like: `${prefix}%` } })).map((i) => i.number).sort();
  expect(numbers).toEqual(Array.from({ length: 12 }, (_, i) => `${prefix}${String(i + 1).padStart(6, '0')}`));
});

test('a charge whose answer was lost is retried with the same key and charged once', async () => {
  const { subscription, customer } = await subscriptionFixture();
  const gateway = new CountingGateway(new SandboxGateway(new PostgresSandboxLedger(orm)));
  const acts = activitiesWith(gateway);
  const invoice = await acts.createSubscriptionInvoice({ subscriptionId: subscription.id, period: period(0), issuedAt: period(0).start });

  gateway.failNext = 1;
  await expect(acts.chargeInvoice({ invoiceId: invoice.invoiceId, attempt: 1, chargedAt: period(0).start })).rejects.toThrow(GatewayUnavailableError);
  const pending = await orm.em.fork().findOneOrFail(Payment, { invoiceId: invoice.invoiceId });
  expect(pending.status).toBe('pending'); // visible, not lost, not yet decided

  // Temporal retries the activity: same attempt, same idempotency key, first outcome.
  const retried = await acts.chargeInvoice({ invoiceId: invoice.invoiceId, attempt: 1, chargedAt: period(0).start });
  expect(retried.outcome).toBe('succeeded');
  expect(gateway.requests.map((r) => r.idempotencyKey)).toEqual([chargeIdempotencyKey(invoice.invoiceId, 1), chargeIdempotencyKey(invoice.invoiceId, 1)]);
  const ledger = await orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from sandbox_charges where idempotency_key like ?`, [`${invoice.invoiceId}%`]);
  expect(Number(ledger[0]!.n)).toBe(1);

  // A replay after success does not even reach the gateway.
  const again = await acts.chargeInvoice({ invoiceId: invoice.invoiceId, attempt: 1, chargedAt: period(0).start });
  expect(again).toEqual(retried);
  expect(gateway.requests).toHaveLength(2);

  const payments = await orm.em.fork().find(Payment, { customerId: customer.id });
  expect(payments).toHaveLength(1);
  expect(payments[0]).toMatchObject({ status: 'succeeded', amount: 5000 });
  expect(await orm.em.fork().findOneOrFail(Invoice, { id: invoice.invoiceId })).toMatchObject({ status: 'paid', amountPaid: 5000, amountDue: 0 });
});

test('a customer without a payment method gets a failed attempt without calling the gateway', async () => {
  const customer = await createCustomer(orm, { defaultPaymentMethod: null });
  const price = await createRecurringPrice(orm);
  const subscription = await createSubscriptionRecord(orm, customer, price, { anchor: new Date('2027-01-01T00:00:00Z') });
  const gateway = new CountingGateway(new SandboxGateway(new PostgresSandboxLedger(orm)));
  const acts = activitiesWith(gateway);
  const invoice = await acts.createSubscriptionInvoice({ subscriptionId: subscription.id, period: period(0), issuedAt: period(0).start });
  const result = await acts.chargeInvoice({ invoiceId: invoice.invoiceId, attempt: 1, chargedAt: period(0).start });
  expect(result).toMatchObject({ outcome: 'failed', failureCode: 'no_payment_method' });
  expect(gateway.requests).toHaveLength(0);
});

test('a receipt is sent once however often the activity runs', async () => {
  const { subscription, customer } = await subscriptionFixture();
  const acts = activitiesWith(new SandboxGateway(new PostgresSandboxLedger(orm)));
  const invoice = await acts.createSubscriptionInvoice({ subscriptionId: subscription.id, period: period(0), issuedAt: period(0).start });
  const charge = await acts.chargeInvoice({ invoiceId: invoice.invoiceId, attempt: 1, chargedAt: period(0).start });
  if (charge.outcome !== 'succeeded') throw new Error('expected a successful charge');
  const ids = await Promise.all([1, 2, 3].map(() => acts.sendPaymentReceipt({ paymentId: charge.paymentId })));
  expect(new Set(ids).size).toBe(1);
  const rows = await orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from email_outbox where customer_id = ?`, [customer.id]);
  expect(Number(rows[0]!.n)).toBe(1);
});

test('a missing record fails the activity for good instead of retrying forever', async () => {
  const acts = activitiesWith(new SandboxGateway(new PostgresSandboxLedger(orm)));
  await expect(acts.chargeInvoice({ invoiceId: 'in_missing', attempt: 1, chargedAt: period(0).start })).rejects.toMatchObject({
    type: 'RecordNotFound',
    nonRetryable: true,
  });
});
