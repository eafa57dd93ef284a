import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { raw, type FilterQuery } from '@mikro-orm/core';
import { Coupon } from '../../db/entities';
import { newId } from '../../db/ids';
import { MoneyError, money } from '../../domain/money';
import { parsePercentage } from '../../domain/pricing';
import { ErrorSchema, invalidParam, notFound } from '../errors';
import { IdParams, ListQuery, listOf, paginate } from '../schemas';
import { CouponResource, CreateCoupon, UpdateCoupon, DeletedCoupon } from './schemas';
import { couponResource } from './serialization';
import { mergeMetadata } from '../shared/metadata';
import { ADMIN_ONLY, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

/** A date-time the schema accepted but JavaScript cannot represent (a leap second, say) is a 400, never a 500. */
function instant(param: string, value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw invalidParam(param, `${param} is not a valid ISO 8601 instant.`);
  return date;
}

/**
 * Validity in SQL, for the list filter: the same rules as `couponIsValid`. The redemption limit compares
 * two columns, so it is a raw fragment (a new one per query, as MikroORM asks of raw filter keys).
 */
function validityFilter(valid: boolean, now: Date): FilterQuery<Coupon> {
  const underLimit = raw((alias: string) => `(${alias}.max_redemptions is null or ${alias}.times_redeemed < ${alias}.max_redemptions)`);
  if (valid) return { $and: [{ $or: [{ redeemBy: null }, { redeemBy: { $gt: now } }] }, { [underLimit]: [] }] } as FilterQuery<Coupon>;
  const atLimit = raw((alias: string) => `(${alias}.max_redemptions is not null and ${alias}.times_redeemed >= ${alias}.max_redemptions)`);
  return { $or: [{ redeemBy: { $lte: now } }, { [atLimit]: [] }] } as FilterQuery<Coupon>;
}

export const couponsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm }) => {
  const read = { roles: STAFF };
  const write = { roles: ADMIN_ONLY };

  /** Deleted coupons are gone for the API, as at Stripe; their rows stay for the subscriptions that have them. */
  async function load(id: string): Promise<Coupon> {
    const coupon = await orm.em.fork().findOne(Coupon, { id, deletedAt: null });
    if (!coupon) throw notFound('coupon', id);
    return coupon;
  }

  app.post(
    '/coupons',
    {
      config: write,
      schema: {
        tags: ['catalog'],
        summary: 'Create a coupon',
        description: 'A percentage (percent_off) or a fixed amount (amount_off with currency) off the invoices of the subscriptions it is applied to.',
        body: CreateCoupon,
        response: { 200: CouponResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const now = new Date();
      let percentOffPpm: number | null = null;
      let amountOff: number | null = null;
      let currency: string | null = null;
      if (body.percent_off !== undefined && body.amount_off !== undefined) {
        throw invalidParam('amount_off', 'Give percent_off or amount_off, not both.');
      }
      if (body.percent_off !== undefined) {
        if (body.currency !== undefined) throw invalidParam('currency', 'currency goes with amount_off; a percentage coupon has none.');
        percentOffPpm = parsePercentage(body.percent_off, 'percent_off');
        if (percentOffPpm === 0) throw invalidParam('percent_off', 'percent_off must be more than 0.');
      } else if (body.amount_off !== undefined) {
        if (body.currency === undefined) throw invalidParam('currency', 'amount_off needs a currency.', 'parameter_missing');
        try {
          const amount = money(body.amount_off, body.currency.toUpperCase());
          amountOff = amount.amount;
          currency = amount.currency;
        } catch (err) {
          if (err instanceof MoneyError) throw invalidParam(/currency/i.test(err.message) ? 'currency' : 'amount_off', err.message);
          throw err;
        }
      } else {
        throw invalidParam('percent_off', 'A coupon needs percent_off or amount_off.', 'parameter_missing');
      }
      if (body.duration === 'repeating' && body.duration_in_periods === undefined) {
        throw invalidParam('duration_in_periods', 'duration=repeating needs duration_in_periods.', 'parameter_missing');
      }
      if (body.duration !== 'repeating' && body.duration_in_periods !== undefined) {
        throw invalidParam('duration_in_periods', `duration_in_periods goes with duration=repeating, not ${body.duration}.`);
      }
      let redeemBy: Date | null = null;
      if (body.redeem_by !== undefined) {
        redeemBy = instant('redeem_by', body.redeem_by);
        if (redeemBy.getTime() <= now.getTime()) throw invalidParam('redeem_by', 'redeem_by must be in the future.');
      }

      const em = orm.em.fork();
      const coupon = em.create(Coupon, {
        id: newId('coupon'),
        name: body.name,
        percentOffPpm,
        amountOff,
        currency,
        duration: body.duration,
        durationInPeriods: body.duration_in_periods ?? null,
        maxRedemptions: body.max_redemptions ?? null,
        timesRedeemed: 0,
        redeemBy,
        metadata: body.metadata ?? {},
        deletedAt: null,
        createdAt: now,
        updatedAt: now,
      });
      await em.flush();
      return couponResource(coupon, now);
    },
  );

  app.get(
    '/coupons',
    {
      config: read,
      schema: {
        tags: ['catalog'],
        summary: 'List coupons, newest first',
        description: 'Deleted coupons are not listed. valid=true: can still be applied; valid=false: expired or fully redeemed.',
        querystring: Type.Object({ ...ListQuery, valid: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: listOf(CouponResource, 'Coupon'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const now = new Date();
      const where: FilterQuery<Coupon> =
        request.query.valid === undefined ? { deletedAt: null } : { $and: [{ deletedAt: null }, validityFilter(request.query.valid, now)] };
      return paginate(orm.em.fork(), Coupon, where, request.query, (c) => couponResource(c, now));
    },
  );

  app.get(
    '/coupons/:id',
    {
      config: read,
      schema: { tags: ['catalog'], summary: 'Retrieve a coupon', params: IdParams, response: { 200: CouponResource, '4xx': ErrorSchema } },
    },
    async (request) => couponResource(await load(request.params.id)),
  );

  app.post(
    '/coupons/:id',
    {
      config: write,
      schema: {
        tags: ['catalog'],
        summary: 'Update a coupon’s name or metadata',
        description: 'The terms (percent_off, amount_off, currency, duration, limits) cannot change: sending one is a 400 naming it.',
        params: IdParams,
        body: UpdateCoupon,
        response: { 200: CouponResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const em = orm.em.fork();
      const coupon = await em.findOne(Coupon, { id: request.params.id, deletedAt: null });
      if (!coupon) throw notFound('coupon', request.params.id);
      if (request.body.name !== undefined) coupon.name = request.body.name;
      if (request.body.metadata !== undefined) coupon.metadata = mergeMetadata(coupon.metadata, request.body.metadata);
      coupon.updatedAt = new Date();
      await em.flush();
      return couponResource(coupon);
    },
  );

  app.delete(
    '/coupons/:id',
    {
      config: write,
      schema: {
        tags: ['catalog'],
        summary: 'Delete a coupon',
        description: 'It can no longer be applied; subscriptions that already have it keep their discount for its duration.',
        params: IdParams,
        response: { 200: DeletedCoupon, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const id = request.params.id;
      const now = new Date();
      // Conditional, so a concurrent redemption either happened before (and stands) or sees the coupon deleted.
      const deleted = await orm.em.fork().nativeUpdate(Coupon, { id, deletedAt: null }, { deletedAt: now, updatedAt: now });
      if (deleted === 0) throw notFound('coupon', id);
      return { id, object: 'coupon' as const, deleted: true as const };
    },
  );
};
