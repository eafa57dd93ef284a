/**
 * What customers owe and have paid on instalment plans: per plan (on the plan resource), per
 * customer (on the customer resource) and per contract (`GET /v1/instalment-plans/balances`).
 * Read from the plans' read model, which each plan's workflow keeps current.
 */
import { Type, type Static } from 'typebox';
import type { EntityManager } from '@mikro-orm/postgresql';

export const PaidThisMonth = Type.Object(
  {
    amount: Type.Integer({ description: 'Paid on instalments since the start of this calendar month, in the plan time zone' }),
    count: Type.Integer(),
  },
  { description: "This calendar month's instalment payments" },
);
export type PaidThisMonth = Static<typeof PaidThisMonth>;

export const InstalmentBalance = Type.Object(
  {
    currency: Type.String(),
    plan_count: Type.Integer({ description: 'Plans that have started (any status but incomplete)' }),
    active_plan_count: Type.Integer(),
    total: Type.Integer(),
    paid_amount: Type.Integer(),
    payment_count: Type.Integer(),
    remaining_balance: Type.Integer(),
    remaining_principal: Type.Integer(),
    paid_this_month: PaidThisMonth,
  },
  { $id: 'InstalmentBalance' },
);
export type InstalmentBalance = Static<typeof InstalmentBalance>;

/**
 * Start of the current month in each plan's own zone: `now() at time zone z` is the local wall time,
 * truncated to the month and read back as an instant in that zone.
 */
export const MONTH_START = `(date_trunc('month', now() at time zone p.time_zone) at time zone p.time_zone)`;

/** This month's paid instalments of each plan. */
export async function paidThisMonthByPlan(em: EntityManager, planIds: string[]): Promise<Map<string, PaidThisMonth>> {
  if (planIds.length === 0) return new Map();
  const rows = await em.getConnection().execute<{ plan_id: string; amount: string; count: string }[]>(
    `select i.plan_id, coalesce(sum(i.amount), 0) as amount, count(*) as count
       from instalments i join instalment_plans p on p.id = i.plan_id
      where i.plan_id in (${planIds.map(() => '?').join(', ')}) and i.status = 'paid' and i.paid_at >= ${MONTH_START}
      group by i.plan_id`,
    planIds,
  );
  return new Map(rows.map((r) => [r.plan_id, { amount: Number(r.amount), count: Number(r.count) }]));
}

/** Balances over the plans matching `where` (a SQL condition on `p`), one row per currency. */
export async function balances(em: EntityManager, where: string, params: unknown[]): Promise<InstalmentBalance[]> {
  const rows = await em.getConnection().execute<Record<string, string>[]>(
    `select p.currency,
            count(*) as plan_count,
            count(*) filter (where p.status in ('active', 'paused')) as active_plan_count,
            coalesce(sum(p.total), 0) as total,
            coalesce(sum(p.paid_amount), 0) as paid_amount,
            coalesce(sum(p.payment_count), 0) as payment_count,
            coalesce(sum(p.remaining_balance), 0) as remaining_balance,
            coalesce(sum(p.remaining_principal), 0) as remaining_principal,
            coalesce(sum(m.amount), 0) as month_amount,
            coalesce(sum(m.count), 0) as month_count
       from instalment_plans p
       left join lateral (
         select sum(i.amount) as amount, count(*) as count from instalments i
          where i.plan_id = p.id and i.status = 'paid' and i.paid_at >= ${MONTH_START}
       ) m on true
      where p.status <> 'incomplete' and ${where}
      group by p.currency
      order by p.currency`,
    params,
  );
  // bigint sums come back as strings; every one is a sum of safe-integer minor units.
  return rows.map((r) => ({
    currency: r.currency!.toLowerCase(),
    plan_count: Number(r.plan_count),
    active_plan_count: Number(r.active_plan_count),
    total: Number(r.total),
    paid_amount: Number(r.paid_amount),
    payment_count: Number(r.payment_count),
    remaining_balance: Number(r.remaining_balance),
    remaining_principal: Number(r.remaining_principal),
    paid_this_month: { amount: Number(r.month_amount), count: Number(r.month_count) },
  }));
}

export const customerInstalmentBalances = (em: EntityManager, customerId: string) => balances(em, 'p.customer_id = ?', [customerId]);
