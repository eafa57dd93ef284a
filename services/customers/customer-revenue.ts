/**
 * What a customer's subscriptions add up to, on every customer resource: the next renewal date and
 * the monthly recurring revenue (MRR). Read from the subscriptions table, which the subscription
 * workflows keep current; computed for a whole page of customers with two queries, never one per customer.
 * The customer routes (api/customers/routes.ts) and the portal show it.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { monthlyRecurringRevenue, type RecurringAmount } from '../../domain/mrr';
import type { IntervalUnit } from '../../domain/frequency';

/**
 * Subscriptions that will bill again on their own: active ones, past_due ones whose collection is still
 * retrying, and unpaid ones, which stay on their billing calendar and are invoiced each period.
 */
const RENEWING_STATUSES = ['active', 'past_due', 'unpaid'] as const;

/**
 * Subscriptions counted as revenue: active (one set to cancel at period end too, until it ends), and
 * past_due, which is still being collected and expected to pay. Unpaid ones are left out: collection
 * gave up on them, so counting them would report revenue nobody expects to receive. Paused, scheduled,
 * incomplete and canceled ones bill nothing.
 */
const MRR_STATUSES = ['active', 'past_due'] as const;

export interface CustomerRevenue {
  next_renewal_date: string | null;
  mrr: number;
}

/** A customer without subscriptions, such as one just created. */
export const NO_REVENUE: CustomerRevenue = { next_renewal_date: null, mrr: 0 };

const placeholders = (n: number) => new Array<string>(n).fill('?').join(', ');

/** Next renewal date and MRR of each of `customerIds` (every id is in the map). */
export async function customerRevenue(em: EntityManager, customerIds: readonly string[]): Promise<Map<string, CustomerRevenue>> {
  const result = new Map(customerIds.map((id) => [id, { ...NO_REVENUE }]));
  if (customerIds.length === 0) return result;
  const ids = [...customerIds];
  const connection = em.getConnection();

  const renewals = await connection.execute<{ customer_id: string; next_renewal_date: Date }[]>(
    `select customer_id, min(next_billing_date) as next_renewal_date
       from subscriptions
      where customer_id in (${placeholders(ids.length)})
        and status in (${placeholders(RENEWING_STATUSES.length)})
        and next_billing_date is not null
      group by customer_id`,
    [...ids, ...RENEWING_STATUSES],
  );
  for (const row of renewals) result.get(row.customer_id)!.next_renewal_date = new Date(row.next_renewal_date).toISOString();

  // One row per customer and frequency, summing every item of every subscription: the monthly share is
  // linear in the amount, so summing a frequency's amounts before dividing loses nothing. numeric, because a bigint sum of many large
  // amounts could overflow in PostgreSQL; it arrives as a string of digits and is read as a bigint.
  // Subscriptions are in their customer's currency (checked when created); the join keeps the sum in
  // one currency regardless.
  const amounts = await connection.execute<{ customer_id: string; interval_unit: IntervalUnit; interval_count: number; amount: string }[]>(
    `select s.customer_id, s.interval_unit, s.interval_count, sum(i.unit_amount::numeric * i.quantity) as amount
       from subscriptions s
       join customers c on c.id = s.customer_id and c.currency = s.currency
       join subscription_items i on i.subscription_id = s.id
      where s.customer_id in (${placeholders(ids.length)})
        and s.status in (${placeholders(MRR_STATUSES.length)})
      group by s.customer_id, s.interval_unit, s.interval_count`,
    [...ids, ...MRR_STATUSES],
  );
  const byCustomer = new Map<string, RecurringAmount[]>();
  for (const row of amounts) {
    const list = byCustomer.get(row.customer_id) ?? [];
    list.push({ amount: BigInt(row.amount), interval: { unit: row.interval_unit, count: Number(row.interval_count) } });
    byCustomer.set(row.customer_id, list);
  }
  for (const [customerId, list] of byCustomer) result.get(customerId)!.mrr = monthlyRecurringRevenue(list);
  return result;
}

/** One customer's next renewal date and MRR. */
export async function oneCustomerRevenue(em: EntityManager, customerId: string): Promise<CustomerRevenue> {
  return (await customerRevenue(em, [customerId])).get(customerId)!;
}
