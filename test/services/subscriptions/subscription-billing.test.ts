/**
 * A subscription's coupon, tax rates and fees against real PostgreSQL: which coupons can be applied,
 * that redemptions never pass max_redemptions, and what each refusal names.
 */
import { openDatabase, type MikroORM } from '../../../db/orm';
import { Coupon, TaxRate } from '../../../db/entities';
import { newId } from '../../../db/ids';
import { RuleViolation } from '../../../domain/rule-violation';
import {
  redeemCoupon,
  redeemableCoupon,
  releaseCouponRedemption,
  resolveSubscriptionBilling,
} from '../../../services/subscriptions/subscription-billing';
import { requireEnv } from '../../support/env';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

const NOW = new Date('2026-03-01T00:00:00Z');

async function coupon(overrides: Partial<Coupon> = {}): Promise<Coupon> {
  const em = orm.em.fork();
  const c = em.create(Coupon, {
    id: newId('coupon'),
    name: 'Launch',
    percentOffPpm: 200_000,
    amountOff: null,
    currency: null,
    duration: 'forever',
    durationInPeriods: null,
    maxRedemptions: null,
    timesRedeemed: 0,
    redeemBy: null,
    metadata: {},
    deletedAt: null,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  });
  await em.flush();
  return c;
}

async function taxRate(overrides: Partial<TaxRate> = {}): Promise<TaxRate> {
  const em = orm.em.fork();
  const rate = em.create(TaxRate, {
    id: newId('taxRate'),
    displayName: 'VAT',
    description: null,
    percentagePpm: 200_000,
    inclusive: false,
    active: true,
    jurisdiction: null,
    country: null,
    metadata: {},
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  });
  await em.flush();
  return rate;
}

async function refusal(run: () => Promise<unknown>) {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RuleViolation);
  const v = err as RuleViolation;
  return { code: v.code, kind: v.kind, param: v.param, message: v.message };
}

describe('redeemableCoupon', () => {
  it('gives a coupon that can be applied now', async () => {
    const c = await coupon();
    await expect(redeemableCoupon(orm.em.fork(), c.id, 'USD', NOW)).resolves.toMatchObject({ id: c.id });
  });

  it('refuses a missing or deleted coupon as a missing reference naming the field', async () => {
    const deleted = await coupon({ deletedAt: NOW });
    expect(await refusal(() => redeemableCoupon(orm.em.fork(), deleted.id, 'USD', NOW, 'discounts[0][coupon]'))).toEqual({
      code: 'resource_missing',
      kind: 'invalid',
      param: 'discounts[0][coupon]',
      message: `No such coupon: '${deleted.id}'`,
    });
  });

  it('refuses a coupon past redeem_by or used up, and an amount in another currency', async () => {
    const expired = await coupon({ redeemBy: new Date('2026-02-01T00:00:00Z') });
    expect(await refusal(() => redeemableCoupon(orm.em.fork(), expired.id, 'USD', NOW))).toMatchObject({ code: 'coupon_not_redeemable', param: 'coupon' });
    const usedUp = await coupon({ maxRedemptions: 2, timesRedeemed: 2 });
    expect((await refusal(() => redeemableCoupon(orm.em.fork(), usedUp.id, 'USD', NOW))).message).toBe(`Coupon ${usedUp.id} has been redeemed its maximum of 2 times.`);
    const euros = await coupon({ percentOffPpm: null, amountOff: 500, currency: 'EUR' });
    expect(await refusal(() => redeemableCoupon(orm.em.fork(), euros.id, 'USD', NOW))).toMatchObject({ code: 'currency_mismatch', kind: 'invalid', param: 'coupon' });
  });
});

describe('redeemCoupon', () => {
  it('counts redemptions up to max_redemptions, concurrently, and gives one back', async () => {
    const c = await coupon({ maxRedemptions: 3 });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => redeemCoupon(orm.em.fork(), c.id, NOW)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as RuleViolation).code);
    expect(refused).toEqual(['coupon_not_redeemable', 'coupon_not_redeemable']);
    expect((await orm.em.fork().findOneOrFail(Coupon, { id: c.id })).timesRedeemed).toBe(3);

    await releaseCouponRedemption(orm.em.fork(), c.id);
    expect((await orm.em.fork().findOneOrFail(Coupon, { id: c.id })).timesRedeemed).toBe(2);
  });
});

describe('resolveSubscriptionBilling', () => {
  const lines = { currency: 'USD', unitAmount: 2500, quantity: 2 };

  it('gives the coupon, tax rates in order and fee records', async () => {
    const c = await coupon();
    const [vat, city] = [await taxRate(), await taxRate({ displayName: 'City', percentagePpm: 10_000 })];
    const billing = await resolveSubscriptionBilling(
      orm.em.fork(),
      { coupon: c.id, default_tax_rates: [city.id, vat.id], fees: [{ description: 'Setup', amount: 900 }, { description: 'Service', percent: '2.5', recurring: true }] },
      lines,
      NOW,
    );
    expect(billing).toEqual({
      couponId: c.id,
      defaultTaxRateIds: [city.id, vat.id],
      fees: [
        { description: 'Setup', taxable: true, recurring: false, type: 'fixed_amount', ratePpm: null, amount: 900 },
        { description: 'Service', taxable: true, recurring: true, type: 'percentage', ratePpm: 25_000, amount: null },
      ],
    });
  });

  it('refuses a fee with both amount and percent, a percent over 100, and a tax rate listed twice, missing or inactive', async () => {
    const em = orm.em.fork();
    expect(await refusal(() => resolveSubscriptionBilling(em, { fees: [{ description: 'x', amount: 1, percent: '1' }] }, lines, NOW))).toMatchObject({ param: 'fees[0]' });
    expect(await refusal(() => resolveSubscriptionBilling(em, { fees: [{ description: 'x', percent: '101' }] }, lines, NOW))).toMatchObject({
      code: 'parameter_invalid',
      param: 'fees[0][percent]',
    });
    const vat = await taxRate();
    const inactive = await taxRate({ active: false });
    expect(await refusal(() => resolveSubscriptionBilling(em, { default_tax_rates: [vat.id, vat.id] }, lines, NOW))).toMatchObject({ param: 'default_tax_rates[1]' });
    expect(await refusal(() => resolveSubscriptionBilling(em, { default_tax_rates: ['txr_missing'] }, lines, NOW))).toMatchObject({ code: 'resource_missing' });
    expect(await refusal(() => resolveSubscriptionBilling(em, { default_tax_rates: [inactive.id] }, lines, NOW))).toMatchObject({ code: 'tax_rate_inactive', kind: 'invalid' });
  });

  it('refuses items whose first invoice would be beyond what an invoice can hold (422 naming items)', async () => {
    const huge = { currency: 'USD', items: [{ unitAmount: Number.MAX_SAFE_INTEGER, quantity: 1 }, { unitAmount: Number.MAX_SAFE_INTEGER, quantity: 1 }] };
    expect(await refusal(() => resolveSubscriptionBilling(orm.em.fork(), {}, huge, NOW))).toMatchObject({ code: 'amount_too_large', kind: 'unprocessable', param: 'items' });
  });
});
