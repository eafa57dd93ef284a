/**
 * A customer's MRR and next renewal date against real PostgreSQL: subscriptions on monthly, yearly and
 * weekly calendars summed exactly and rounded once, only the statuses that bill counted, and each
 * customer of a page kept apart.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase, type MikroORM } from '../../../db/orm';
import { Subscription, type Customer, type SubscriptionStatus } from '../../../db/entities';
import type { IntervalUnit } from '../../../domain/frequency';
import { NO_REVENUE, customerRevenue, oneCustomerRevenue } from '../../../services/customers/customer-revenue';
import { requireEnv } from '../../support/env';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../../support/fixtures';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

const customer = () => createCustomer(orm, { email: `mrr-${randomUUID()}@example.com` });

/** A subscription in `status`, billing `unitAmount` × `quantity` every `unit`, next billed at `next`. */
async function subscription(
  owner: Customer,
  { unitAmount, unit = 'month', quantity = 1, currency = 'USD', status = 'active', next = new Date('2026-04-01T00:00:00Z') }: {
    unitAmount: number;
    unit?: IntervalUnit;
    quantity?: number;
    currency?: string;
    status?: SubscriptionStatus;
    next?: Date | null;
  },
): Promise<void> {
  const price = await createRecurringPrice(orm, { unitAmount, unit, currency });
  const s = await createSubscriptionRecord(orm, owner, price, { anchor: new Date('2026-03-01T00:00:00Z'), quantity });
  await orm.em.fork().nativeUpdate(Subscription, { id: s.id }, { status, nextBillingDate: next });
}

describe('customerRevenue', () => {
  it('sums monthly, yearly and weekly subscriptions exactly, rounding the total once', async () => {
    const c = await customer();
    await subscription(c, { unitAmount: 1500, quantity: 2 }); // 3000 a month
    await subscription(c, { unitAmount: 12_000, unit: 'year' }); // 1000 a month
    // Three weekly plans of 100: 100 × 52 / 12 = 433.33… each, 1300 together (rounded per plan: 1299).
    for (let i = 0; i < 3; i++) await subscription(c, { unitAmount: 100, unit: 'week' });
    expect((await oneCustomerRevenue(orm.em.fork(), c.id)).mrr).toBe(3000 + 1000 + 1300);
  });

  it('counts active and past-due subscriptions; renews unpaid ones too; leaves out paused, incomplete and canceled ones', async () => {
    const c = await customer();
    await subscription(c, { unitAmount: 1000, status: 'active', next: new Date('2026-05-01T00:00:00Z') });
    await subscription(c, { unitAmount: 200, status: 'past_due', next: new Date('2026-04-20T00:00:00Z') });
    await subscription(c, { unitAmount: 40, status: 'unpaid', next: new Date('2026-04-10T00:00:00Z') });
    await subscription(c, { unitAmount: 5, status: 'paused', next: new Date('2026-04-02T00:00:00Z') });
    await subscription(c, { unitAmount: 7, status: 'incomplete', next: new Date('2026-04-03T00:00:00Z') });
    await subscription(c, { unitAmount: 9, status: 'canceled', next: null });
    expect(await oneCustomerRevenue(orm.em.fork(), c.id)).toEqual({ mrr: 1200, next_renewal_date: '2026-04-10T00:00:00.000Z' });
  });

  it('leaves out a subscription in another currency than the customer', async () => {
    const c = await customer();
    await subscription(c, { unitAmount: 1000 });
    await subscription(c, { unitAmount: 5000, currency: 'EUR' });
    expect((await oneCustomerRevenue(orm.em.fork(), c.id)).mrr).toBe(1000);
  });

  it('answers every customer of a page, each with their own figures, and none for no ids', async () => {
    const [a, b, none] = [await customer(), await customer(), await customer()];
    await subscription(a, { unitAmount: 1000, next: new Date('2026-04-05T00:00:00Z') });
    await subscription(b, { unitAmount: 24_000, unit: 'year', next: new Date('2027-03-01T00:00:00Z') });
    const page = await customerRevenue(orm.em.fork(), [a.id, b.id, none.id]);
    expect(Object.fromEntries(page)).toEqual({
      [a.id]: { mrr: 1000, next_renewal_date: '2026-04-05T00:00:00.000Z' },
      [b.id]: { mrr: 2000, next_renewal_date: '2027-03-01T00:00:00.000Z' },
      [none.id]: NO_REVENUE,
    });
    expect((await customerRevenue(orm.em.fork(), [])).size).toBe(0);
  });
});
