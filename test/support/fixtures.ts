import type { MikroORM } from '@mikro-orm/postgresql';
import { Customer, Price, Product, Subscription, type CollectionMethod } from '../../db/entities';
import { newId } from '../../db/ids';
import type { IntervalUnit } from '../../domain/frequency';
import { addSubscriptionRecord } from '../../services/subscriptions/start-subscription';

/** Records the API would write, inserted directly so workflow tests start from a known catalog. */
export async function createCustomer(orm: MikroORM, overrides: Partial<Customer> = {}): Promise<Customer> {
  const em = orm.em.fork();
  const now = new Date();
  const customer = em.create(Customer, {
    id: newId('customer'),
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    currency: 'USD',
    timeZone: 'UTC',
    billingAddress: null,
    defaultPaymentMethod: 'pm_card_visa',
    gatewayCustomerId: null,
    metadata: {},
    createdAt: now,
    updatedAt: now,
    ...overrides,
  });
  await em.flush();
  return customer;
}

export async function createRecurringPrice(
  orm: MikroORM,
  { unitAmount = 2500, currency = 'USD', unit = 'month' as IntervalUnit, count = 1 } = {},
): Promise<Price> {
  const em = orm.em.fork();
  const now = new Date();
  const product = em.create(Product, { id: newId('product'), name: 'Pro plan', description: null, active: true, metadata: {}, createdAt: now, updatedAt: now });
  await em.flush(); // foreign keys are plain columns, so the unit of work does not order these inserts
  const price = em.create(Price, {
    id: newId('price'),
    productId: product.id,
    nickname: null,
    currency,
    unitAmount,
    type: 'recurring',
    intervalUnit: unit,
    intervalCount: count,
    active: true,
    metadata: {},
    createdAt: now,
    updatedAt: now,
  });
  await em.flush();
  return price;
}

export async function createSubscriptionRecord(
  orm: MikroORM,
  customer: Customer,
  price: Price,
  {
    anchor,
    quantity = 1,
    collectionMethod = 'charge_automatically' as CollectionMethod,
    extraItems = [],
  }: {
    anchor: Date;
    quantity?: number;
    collectionMethod?: CollectionMethod;
    /** More items after `price` × `quantity` (same currency and interval), as POST /v1/subscriptions with `items`. */
    extraItems?: { price: Price; quantity: number }[];
  },
): Promise<Subscription> {
  const em = orm.em.fork();
  // The row and its items exactly as the API writes them (status `incomplete`).
  const subscription = addSubscriptionRecord(em, {
    id: newId('subscription'),
    customerId: customer.id,
    timeZone: customer.timeZone,
    currency: price.currency,
    intervalUnit: price.intervalUnit!,
    intervalCount: price.intervalCount!,
    items: [{ price, quantity }, ...extraItems].map((item) => ({ priceId: item.price.id, quantity: item.quantity, unitAmount: item.price.unitAmount })),
    collectionMethod,
    startDate: anchor,
    metadata: {},
    now: anchor,
  });
  await em.flush();
  return subscription;
}
