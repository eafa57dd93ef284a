/**
 * `GET /v1/subscriptions/:id` answers from plain records read with prepared statements
 * (services/subscriptions/subscription-read.ts), not from managed entities: the answer must be exactly
 * what the ORM's entity serializes to, for a subscription that uses every kind of column (dates,
 * nullable dates, money as bigint, JSON, booleans, several items).
 */
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { Subscription } from '../../db/entities';
import { subscriptionResource } from '../../api/subscriptions/serialization';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
});
afterAll(async () => {
  await api?.close();
});

async function price(unitAmount: number): Promise<string> {
  const product = await api.call('admin', 'POST', '/v1/products', { name: `Plan ${unitAmount}` });
  const created = await api.call('admin', 'POST', '/v1/prices', { product: product.body.id, currency: 'usd', unit_amount: unitAmount, recurring: { interval: 'month' } });
  expect(created.status).toBe(200);
  return created.body.id;
}

test('the answer equals the ORM entity serialized, column for column', async () => {
  const [seat, support] = [await price(12_00), await price(49_00)];
  const customer = await api.call('sales', 'POST', '/v1/customers', { email: 'reader@example.com', name: 'Reader', currency: 'usd', default_payment_method: 'pm_card_visa' });
  const created = await api.call('sales', 'POST', '/v1/subscriptions', {
    customer: customer.body.id,
    items: [{ price: seat, quantity: 5 }, { price: support }],
    trial_period_days: 14,
    commitment: { interval: 'month', interval_count: 12, renewal: 'expire', reminder_days_before: 10 },
    fees: [{ description: 'Setup', amount: 25_00, taxable: false }],
    metadata: { crm: 'A-17', tier: 'gold' },
  });
  expect(created.status).toBe(200);

  const read = await api.call('operator', 'GET', `/v1/subscriptions/${created.body.id}`);
  expect(read.status).toBe(200);
  const entity = await api.orm.em.fork().findOneOrFail(Subscription, { id: created.body.id });
  expect(read.body).toEqual(JSON.parse(JSON.stringify(subscriptionResource(entity))));
  expect(read.body).toMatchObject({ quantity: 5, unit_amount: 12_00, metadata: { crm: 'A-17', tier: 'gold' }, cancel_at_period_end: false });
  expect(read.body.items.data.map((item: { price: string }) => item.price)).toEqual([seat, support]);
  expect(read.body.trial_end).not.toBeNull();
});

test('an unknown id is a 404 naming the subscription', async () => {
  const read = await api.call('operator', 'GET', '/v1/subscriptions/sub_unknown');
  expect(read.status).toBe(404);
});

test('a column added by a migration while the API runs does not break reads prepared before it', async () => {
  const seat = await price(7_00);
  const customer = await api.call('sales', 'POST', '/v1/customers', { email: 'migrating@example.com', name: 'Migrating', currency: 'usd', default_payment_method: 'pm_card_visa' });
  const created = await api.call('sales', 'POST', '/v1/subscriptions', { customer: customer.body.id, price: seat });
  const readMany = () => Promise.all(Array.from({ length: 10 }, () => api.call('operator', 'GET', `/v1/subscriptions/${created.body.id}`)));
  // Prepared on as many pooled connections as ten reads at once take.
  expect((await readMany()).map((r) => r.status)).toEqual(Array(10).fill(200));
  const connection = api.orm.em.getConnection();
  await connection.execute('alter table subscriptions add column read_path_probe text');
  await connection.execute('alter table subscription_items add column read_path_probe text');
  try {
    expect((await readMany()).map((r) => r.status)).toEqual(Array(10).fill(200));
  } finally {
    await connection.execute('alter table subscriptions drop column read_path_probe');
    await connection.execute('alter table subscription_items drop column read_path_probe');
  }
});
