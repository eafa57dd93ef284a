/**
 * The partial period of a subscription that starts before its billing anchor, against real PostgreSQL:
 * each item's whole-period amount × the share of the period before the anchor, in the customer's
 * calendar, rounded half-up once, waiting for the first invoice; nothing for an item that rounds to zero.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase, type MikroORM } from '../../../db/orm';
import { SubscriptionItem, SubscriptionPendingItem, type Price } from '../../../db/entities';
import { addPartialPeriodCharges } from '../../../services/subscriptions/partial-period-charges';
import { requireEnv } from '../../support/env';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../../support/fixtures';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

const MONTHLY = { unit: 'month', count: 1 } as const;
const NOW = new Date('2026-03-01T00:00:00Z');

/** Adds the charges for `items` of a new subscription id and reads back what is waiting for its first invoice. */
async function charges(
  items: { price: Price; quantity: number }[],
  { start, anchor, timeZone = 'UTC', currency = 'USD' }: { start: string; anchor: string; timeZone?: string; currency?: string },
) {
  // The pending charges belong to a stored subscription (foreign key): record one holding these items.
  const customer = await createCustomer(orm, { email: `stub-${randomUUID()}@example.com`, timeZone });
  const [first, ...rest] = items;
  const subscription = await createSubscriptionRecord(orm, customer, first!.price, { anchor: new Date(start), quantity: first!.quantity, extraItems: rest });
  const stored = await orm.em.fork().find(SubscriptionItem, { subscription: subscription.id }, { orderBy: { position: 'asc' } });
  const em = orm.em.fork();
  await addPartialPeriodCharges(em, { id: subscription.id, currency, timeZone }, stored, new Date(start), new Date(anchor), MONTHLY, NOW);
  await em.flush();
  const rows = await orm.em.fork().find(SubscriptionPendingItem, { subscriptionId: subscription.id }, { orderBy: { amount: 'desc' } });
  return { rows, itemIds: stored.map((i) => i.id) };
}

describe('addPartialPeriodCharges', () => {
  it('charges each item its share of the period before the anchor, rounded half-up, for the first invoice', async () => {
    const pro = await createRecurringPrice(orm, { unitAmount: 2500 });
    const addOn = await createRecurringPrice(orm, { unitAmount: 999 });
    // The period before a 15 March anchor is 15 Feb – 15 Mar (28 days); from 1 March, 14 of them are owed: half.
    const { rows, itemIds } = await charges(
      [
        { price: pro, quantity: 2 },
        { price: addOn, quantity: 1 },
      ],
      { start: '2026-03-01T00:00:00Z', anchor: '2026-03-15T00:00:00Z' },
    );
    expect(rows.map((r) => [r.kind, r.amount, r.sourceId, r.invoiceId])).toEqual([
      ['proration_charge', 2500, itemIds[0], null],
      ['proration_charge', 500, itemIds[1], null], // 499.5, half-up
    ]);
    expect(rows[0]).toMatchObject({ description: 'Pro plan × 2, partial period 1 Mar 2026 to 15 Mar 2026', periodStart: new Date('2026-03-01T00:00:00Z'), periodEnd: new Date('2026-03-15T00:00:00Z') });
    expect(rows[1]!.description).toBe('Pro plan, partial period 1 Mar 2026 to 15 Mar 2026');
  });

  it("measures the period in the customer's calendar", async () => {
    const price = await createRecurringPrice(orm, { unitAmount: 3100 });
    // Anchor 1 April 00:00 in Paris: its period starts 1 March 00:00 Paris (31 days less the daylight saving hour).
    const { rows } = await charges([{ price, quantity: 1 }], { start: '2026-03-16T23:00:00Z', anchor: '2026-03-31T22:00:00Z', timeZone: 'Europe/Paris' });
    // 15 days − 1 hour owed of 31 days − 1 hour: 3100 × 359 / 743 = 1497.8… → 1498.
    expect(rows.map((r) => r.amount)).toEqual([1498]);
    expect(rows[0]!.description).toBe('Pro plan, partial period 17 Mar 2026 to 1 Apr 2026');
  });

  it('records nothing for an item whose share rounds to zero', async () => {
    const cheap = await createRecurringPrice(orm, { unitAmount: 1 });
    const { rows } = await charges([{ price: cheap, quantity: 1 }], { start: '2026-03-14T00:00:00Z', anchor: '2026-03-15T00:00:00Z' });
    // 1 × 1/28 of a cent rounds to nothing.
    expect(rows).toEqual([]);
  });
});
