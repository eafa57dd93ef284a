/**
 * Prorating a plan change on one subscription item, against real PostgreSQL: the credit for the old
 * plan's unused time and the charge for the new plan's remaining time, each rounded half-up once, worded
 * for the customer; the invoice a change issues at once, with the credit as a discount and the
 * subscription's taxes; and which item a change is for.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase, type MikroORM } from '../../../db/orm';
import { Price, Subscription, TaxRate } from '../../../db/entities';
import { newId } from '../../../db/ids';
import { describeProration, priceOnOtherItem, priceProrationInvoice, subscriptionItemFor } from '../../../services/subscriptions/plan-change-proration';
import { requireEnv } from '../../support/env';
import { createCustomer, createRecurringPrice, createSubscriptionRecord } from '../../support/fixtures';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

const PERIOD = { start: '2026-03-01T00:00:00.000Z', end: '2026-04-01T00:00:00.000Z' };
// 16 of the period's 31 days remain after this date.
const PRORATION_DATE = '2026-03-16T00:00:00.000Z';

/** A subscription on Basic × 2 and an add-on, with a 20 % tax rate, and the Premium price to move to. */
async function setup() {
  const customer = await createCustomer(orm, { email: `proration-${randomUUID()}@example.com` });
  const basic = await createRecurringPrice(orm, { unitAmount: 2500 });
  const addOn = await createRecurringPrice(orm, { unitAmount: 700 });
  const premium = await createRecurringPrice(orm, { unitAmount: 5000 });
  const em = orm.em.fork();
  await em.nativeUpdate(Price, { id: basic.id }, { nickname: 'Basic' });
  await em.nativeUpdate(Price, { id: premium.id }, { nickname: 'Premium' });
  const vat = em.create(TaxRate, {
    id: newId('taxRate'),
    displayName: 'VAT',
    description: null,
    percentagePpm: 200_000,
    inclusive: false,
    active: true,
    jurisdiction: null,
    country: null,
    metadata: {},
    createdAt: new Date(),
    updatedAt: new Date(),
  });
  await em.flush();
  const record = await createSubscriptionRecord(orm, customer, basic, { anchor: new Date(PERIOD.start), quantity: 2, extraItems: [{ price: addOn, quantity: 1 }] });
  await em.nativeUpdate(Subscription, { id: record.id }, { defaultTaxRateIds: [vat.id] });
  const reader = orm.em.fork();
  const subscription = await reader.findOneOrFail(Subscription, { id: record.id });
  return { reader, subscription, basic, addOn, premium };
}

describe('plan change proration', () => {
  it('credits the unused time on the old plan and charges the remaining time on the new one, worded for the customer', async () => {
    const { reader, subscription, premium } = await setup();
    const item = (await subscriptionItemFor(subscription, undefined))!;
    const lines = await describeProration(reader, subscription, item, { priceId: premium.id, unitAmount: 5000, quantity: 1 }, PERIOD, PRORATION_DATE);
    // 2 × 2500 × 16/31 = 2580.6… → 2581; 5000 × 16/31, the same.
    expect(lines.proration).toMatchObject({ credit: 2581, charge: 2581, net: 0 });
    expect(lines.creditDescription).toBe('Unused time on Pro plan (Basic) × 2 after 16 Mar 2026');
    expect(lines.chargeDescription).toBe('Remaining time on Pro plan (Premium) after 16 Mar 2026');

    const upgrade = await describeProration(reader, subscription, item, { priceId: premium.id, unitAmount: 5000, quantity: 3 }, PERIOD, PRORATION_DATE);
    // 15000 × 16/31 = 7741.9… → 7742.
    expect(upgrade.proration).toMatchObject({ credit: 2581, charge: 7742, net: 5161 });
  });

  it('issues the charge as a line, the credit as a discount, with the subscription taxes', async () => {
    const { reader, subscription, premium } = await setup();
    const item = (await subscriptionItemFor(subscription, undefined))!;
    const lines = await describeProration(reader, subscription, item, { priceId: premium.id, unitAmount: 5000, quantity: 3 }, PERIOD, PRORATION_DATE);
    const priced = await priceProrationInvoice(reader, subscription, lines, PRORATION_DATE, PERIOD.end);
    expect(priced.lines).toEqual([
      expect.objectContaining({ description: lines.chargeDescription, unitAmount: 7742, quantity: 1, periodStart: new Date(PRORATION_DATE), periodEnd: new Date(PERIOD.end) }),
    ]);
    expect(priced.discounts).toEqual([expect.objectContaining({ description: lines.creditDescription, type: 'fixed_amount', amountOff: 2581, amount: 2581 })]);
    // (7742 − 2581) × 20 % = 1032.2 → 1032.
    expect(priced.totals).toMatchObject({ subtotal: 7742, discountTotal: 2581, taxTotal: 1032, total: 6193 });
  });

  it('finds the item a change is for, the first by position when none is named, and whether a price is on another item', async () => {
    const { subscription, basic, addOn } = await setup();
    const first = (await subscriptionItemFor(subscription, undefined))!;
    expect(first.priceId).toBe(basic.id);
    const second = subscription.items.getItems().find((i) => i.priceId === addOn.id)!;
    expect(await subscriptionItemFor(subscription, second.id)).toBe(second);
    expect(await subscriptionItemFor(subscription, 'si_missing')).toBeNull();
    expect(priceOnOtherItem(subscription, first, addOn.id)).toBe(true);
    expect(priceOnOtherItem(subscription, first, basic.id)).toBe(false);
  });
});
