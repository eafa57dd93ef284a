/**
 * Operator actions on invoices being collected, through the real API, worker, Temporal dev server
 * and PostgreSQL: emailing, offline payments (partial, then the rest), writing off and voiding, the
 * dunning controls (extend grace, skip, retry now) and the immediate retry when a new card is saved.
 */
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { eventually } from '../support/eventually';
import { createSubscriptionRecord } from '../support/fixtures';
import { Customer, Price } from '../../db/entities';
import { subscriptionWorkflow } from '../../workflows/subscription/workflow';
import { subscriptionWorkflowId } from '../../workflows/subscription/contract';
import { invoiceCollectionWorkflowId } from '../../workflows/invoice-collection/contract';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});

const DAY = 86_400_000;

async function customer(fields: Record<string, unknown> = {}): Promise<string> {
  const res = await api.call('sales', 'POST', '/v1/customers', { email: `payer-${Date.now()}@example.com`, name: 'Payer', currency: 'usd', ...fields });
  expect(res.status).toBe(200);
  return res.body.id;
}

/** A finalized one-off invoice for `amount`, collected as `collection_method` says. */
async function openInvoice(cus: string, amount: number, collection_method: 'send_invoice' | 'charge_automatically') {
  const draft = await api.call('sales', 'POST', '/v1/invoices', {
    customer: cus,
    collection_method,
    lines: [{ description: 'Consulting', unit_amount: amount }],
  });
  expect(draft.status).toBe(200);
  const finalized = await api.call('sales', 'POST', `/v1/invoices/${draft.body.id}/finalize`);
  expect(finalized.status).toBe(200);
  expect(finalized.body.status).toBe('open');
  return finalized.body.id as string;
}

const emailKinds = async (cus: string) =>
  ((await api.call('admin', 'GET', `/v1/emails?customer=${cus}&limit=100`)).body.data as { kind: string }[]).map((e) => e.kind).sort();

const collection = async (invoice: string) => {
  const res = await api.call('operator', 'GET', `/v1/invoices/${invoice}/collection`);
  expect(res.status).toBe(200);
  return res.body;
};

test('an emailed invoice: resent on request, paid offline in two parts, then closed to changes', async () => {
  const cus = await customer();
  const invoice = await openInvoice(cus, 50_000, 'send_invoice');
  await eventually(async () => expect(await emailKinds(cus)).toEqual(['invoice_sent']));
  expect(await collection(invoice)).toMatchObject({ stage: 'awaiting_payment', collection_method: 'send_invoice', attempts: 0, past_due: false });

  const resent = await api.call('sales', 'POST', `/v1/invoices/${invoice}/send`);
  expect(resent.status).toBe(200);
  expect(await emailKinds(cus)).toEqual(['invoice_sent', 'invoice_sent']);

  // No retry schedule to skip on an emailed invoice: refused with the reason.
  expect((await api.call('operator', 'POST', `/v1/invoices/${invoice}/skip-retry`)).status).toBe(409);

  const tooMuch = await api.call('operator', 'POST', `/v1/invoices/${invoice}/mark-paid`, { amount: 50_001, method: 'check' });
  expect(tooMuch.status).toBe(400);
  expect(tooMuch.body.error.param).toBe('amount');
  expect((await api.call('operator', 'POST', `/v1/invoices/${invoice}/mark-paid`, { method: 'barter' })).body.error.param).toBe('method');

  const partial = { amount: 20_000, method: 'check', reference: 'CHK-1001', paid_at: new Date(Date.now() - DAY).toISOString() };
  const first = await api.call('operator', 'POST', `/v1/invoices/${invoice}/mark-paid`, partial, { 'idempotency-key': `partial-${invoice}` });
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ status: 'open', amount_paid: 20_000, amount_due: 30_000 });
  // The same request again is answered, not recorded twice.
  const again = await api.call('operator', 'POST', `/v1/invoices/${invoice}/mark-paid`, partial, { 'idempotency-key': `partial-${invoice}` });
  expect(again.body).toMatchObject({ amount_paid: 20_000, amount_due: 30_000 });

  const rest = await api.call('operator', 'POST', `/v1/invoices/${invoice}/mark-paid`, { method: 'bank_transfer', reference: 'TRX-77', send_receipt: true });
  expect(rest.status).toBe(200);
  expect(rest.body).toMatchObject({ status: 'paid', amount_paid: 50_000, amount_due: 0 });

  const payments = (await api.call('admin', 'GET', `/v1/payments?invoice=${invoice}`)).body.data;
  expect(payments.map((p: Record<string, unknown>) => [p.amount, p.payment_method, p.reference, p.gateway, p.attempt]).sort()).toEqual([
    [20_000, 'check', 'CHK-1001', 'offline', null],
    [30_000, 'bank_transfer', 'TRX-77', 'offline', null],
  ]);
  await eventually(async () => expect(await emailKinds(cus)).toEqual(['invoice_sent', 'invoice_sent', 'payment_receipt']));
  expect(await collection(invoice)).toMatchObject({ stage: 'paid' });

  for (const path of ['void', 'mark-uncollectible', 'send']) {
    const res = await api.call('admin', 'POST', `/v1/invoices/${invoice}/${path}`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('already paid');
  }
});

test('dunning controls: extend the grace, skip a retry, retry now, then a new card pays at once', async () => {
  const cus = await customer({ default_payment_method: 'pm_card_chargeDeclinedInsufficientFunds', account_owner_email: 'am@example.com' });
  expect((await api.call('admin', 'GET', `/v1/customers/${cus}`)).body.account_owner_email).toBe('am@example.com');
  const invoice = await openInvoice(cus, 12_345, 'charge_automatically');

  const scheduled = await eventually(async () => {
    const view = await collection(invoice);
    expect(view).toMatchObject({ stage: 'retry_scheduled', attempts: 1, last_failure_code: 'insufficient_funds' });
    return view;
  });
  const firstRetry = Date.parse(scheduled.next_retry_at);
  expect(firstRetry - Date.now()).toBeGreaterThan(DAY - 60_000);
  expect(firstRetry - Date.now()).toBeLessThan(DAY + 60_000);
  expect((await api.call('admin', 'GET', `/v1/invoices/${invoice}`)).body).toMatchObject({ attempt_count: 1, next_payment_attempt: scheduled.next_retry_at });

  expect((await api.call('operator', 'POST', `/v1/invoices/${invoice}/extend-grace`, { days: 0 })).body.error.param).toBe('days');
  expect((await api.call('sales', 'POST', `/v1/invoices/${invoice}/extend-grace`, { days: 2 })).status).toBe(403);
  const extended = await api.call('operator', 'POST', `/v1/invoices/${invoice}/extend-grace`, { days: 2 });
  expect(extended.status).toBe(200);
  expect(Date.parse(extended.body.next_payment_attempt) - firstRetry).toBe(2 * DAY);

  const skipped = await api.call('operator', 'POST', `/v1/invoices/${invoice}/skip-retry`);
  expect(skipped.status).toBe(200);
  expect(Date.parse(skipped.body.next_payment_attempt) - firstRetry).toBe(4 * DAY); // day 3 of the schedule, + 2 grace

  const retried = await api.call('operator', 'POST', `/v1/invoices/${invoice}/retry-payment`);
  expect(retried.status).toBe(200);
  expect(retried.body).toMatchObject({ status: 'open', attempt_count: 2 });
  expect(Date.parse(retried.body.next_payment_attempt) - firstRetry).toBe(6 * DAY); // the last retry: day 5, + 2 grace

  const saved = await api.call('sales', 'POST', `/v1/customers/${cus}/payment-method`, { payment_method: 'pm_card_visa' });
  expect(saved.status).toBe(200);
  expect(saved.body.default_payment_method).toBe('pm_card_visa');
  await eventually(async () => expect((await api.call('admin', 'GET', `/v1/invoices/${invoice}`)).body).toMatchObject({ status: 'paid', attempt_count: 3 }));
  expect(await collection(invoice)).toMatchObject({ stage: 'paid', attempts: 3, next_retry_at: null });
  await eventually(async () =>
    expect(await emailKinds(cus)).toEqual(['payment_failed', 'payment_failed', 'payment_receipt']),
  );
});

test('a permanent decline: past due at once; written off, it can still be voided', async () => {
  const cus = await customer({ default_payment_method: 'pm_card_chargeDeclinedExpiredCard', account_owner_email: 'owner@example.com' });
  const invoice = await openInvoice(cus, 9_900, 'charge_automatically');
  await eventually(async () => expect(await collection(invoice)).toMatchObject({ stage: 'awaiting_payment', past_due: true, attempts: 1 }));
  await eventually(async () => expect(await emailKinds(cus)).toEqual(['payment_failed', 'payment_failed_final', 'payment_failed_owner']));
  const owners = (await api.call('admin', 'GET', `/v1/emails?customer=${cus}&limit=100`)).body.data.filter((e: { kind: string }) => e.kind === 'payment_failed_owner');
  expect(owners[0].to).toBe('owner@example.com');
  expect((await api.call('operator', 'POST', `/v1/invoices/${invoice}/skip-retry`)).body.error.message).toContain('No retry is scheduled');

  const writtenOff = await api.call('operator', 'POST', `/v1/invoices/${invoice}/mark-uncollectible`);
  expect(writtenOff.status).toBe(200);
  expect(writtenOff.body).toMatchObject({ status: 'uncollectible', amount_due: 9_900 });
  expect((await api.call('operator', 'POST', `/v1/invoices/${invoice}/mark-uncollectible`)).status).toBe(409);
  expect((await api.call('operator', 'POST', `/v1/invoices/${invoice}/retry-payment`)).status).toBe(409);

  const voided = await api.call('admin', 'POST', `/v1/invoices/${invoice}/void`);
  expect(voided.status).toBe(200);
  expect(voided.body).toMatchObject({ status: 'void', amount_due: 0 });
  await eventually(async () => expect(await collection(invoice)).toMatchObject({ stage: 'void' }));
});

test('refusals: unknown invoice, a draft, an invoice with money on it cannot be voided', async () => {
  expect((await api.call('operator', 'POST', '/v1/invoices/in_missing/void')).status).toBe(404);
  expect((await api.call('operator', 'GET', '/v1/invoices/in_missing/collection')).status).toBe(404);
  const cus = await customer();
  const draft = await api.call('sales', 'POST', '/v1/invoices', { customer: cus, lines: [{ description: 'Draft work', unit_amount: 1000 }] });
  const onDraft = await api.call('operator', 'POST', `/v1/invoices/${draft.body.id}/mark-paid`, { method: 'cash' });
  expect(onDraft.status).toBe(409);
  expect(onDraft.body.error.code).toBe('invoice_is_draft');

  const invoice = await openInvoice(cus, 8_000, 'send_invoice');
  await eventually(async () => expect(await emailKinds(cus)).toEqual(['invoice_sent']));
  expect((await api.call('operator', 'POST', `/v1/invoices/${invoice}/mark-paid`, { method: 'cash', amount: 1_000 })).status).toBe(200);
  const voided = await api.call('operator', 'POST', `/v1/invoices/${invoice}/void`);
  expect(voided.status).toBe(409);
  expect(voided.body.error.message).toContain('refund the payments before voiding');
  expect((await api.call('admin', 'GET', `/v1/invoices/${invoice}`)).body).toMatchObject({ status: 'open', amount_paid: 1_000, amount_due: 7_000 });
});

test('dunning that ends in cancel: the subscription closes, its written-off invoice stays payable and voidable', async () => {
  const cus = await customer({ default_payment_method: 'pm_card_chargeDeclinedExpiredCard' });
  const product = await api.call('admin', 'POST', '/v1/products', { name: 'Plan' });
  const price = await api.call('admin', 'POST', '/v1/prices', { product: product.body.id, currency: 'usd', unit_amount: 3_000, recurring: { interval: 'month' } });
  const em = api.orm.em.fork();
  const subscription = await createSubscriptionRecord(api.orm, await em.findOneOrFail(Customer, { id: cus }), await em.findOneOrFail(Price, { id: price.body.id }), {
    anchor: new Date(),
  });
  const owner = await api.temporal.workflow.start(subscriptionWorkflow, {
    taskQueue: api.taskQueue,
    workflowId: subscriptionWorkflowId(subscription.id),
    args: [
      {
        subscriptionId: subscription.id,
        customerId: cus,
        billingAnchor: subscription.billingAnchor.toISOString(),
        timeZone: 'UTC',
        interval: { unit: 'month', count: 1 },
        dunningPolicy: { retryDaysAfterFirstFailure: [], invoiceAfterFailure: 'uncollectible', subscriptionAfterFailure: 'canceled' },
      },
    ],
  });
  expect((await owner.result()).status).toBe('canceled');

  const [invoice] = (await api.call('admin', 'GET', `/v1/invoices?subscription=${subscription.id}`)).body.data;
  await eventually(async () => expect(await collection(invoice.id)).toMatchObject({ stage: 'uncollectible', past_due: true, attempts: 1 }));
  expect((await api.temporal.workflow.getHandle(invoiceCollectionWorkflowId(invoice.id)).describe()).status.name).toBe('RUNNING');
  expect((await api.call('admin', 'GET', `/v1/invoices/${invoice.id}`)).body.status).toBe('uncollectible');

  const voided = await api.call('operator', 'POST', `/v1/invoices/${invoice.id}/void`);
  expect(voided.body).toMatchObject({ status: 'void', amount_due: 0 });
  await eventually(async () =>
    expect((await api.temporal.workflow.getHandle(invoiceCollectionWorkflowId(invoice.id)).describe()).status.name).toBe('COMPLETED'),
  );
});
