// Seeding and accounting for a billing run: N subscriptions due at the same moment, then the counts
// that say whether every one was invoiced, charged and receipted exactly once.

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function inParallel(count, concurrency, task) {
  let next = 0;
  const results = new Array(count);
  const lane = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}

async function must(stack, method, path, body) {
  const res = await stack.call(method, path, body);
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Creates `count` monthly subscriptions through the API, all starting (so all due) at `startAt`.
 * Each gets its own customer, as in a real month-end run.
 */
export async function seedBillingRun(stack, { count, startAt, concurrency = 16, unitAmount = 1500, paymentMethod = 'pm_card_visa' }) {
  const product = await must(stack, 'POST', '/v1/products', { name: 'Bench plan' });
  const price = await must(stack, 'POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: unitAmount, recurring: { interval: 'month' } });
  const ids = await inParallel(count, concurrency, async (i) => {
    const customer = await must(stack, 'POST', '/v1/customers', {
      email: `bench-${i}@example.com`,
      name: `Bench customer ${i}`,
      currency: 'usd',
      default_payment_method: paymentMethod,
    });
    const subscription = await must(stack, 'POST', '/v1/subscriptions', {
      customer: customer.id,
      price: price.id,
      start_date: new Date(startAt).toISOString(),
    });
    return subscription.id;
  });
  return { priceId: price.id, subscriptionIds: ids };
}

/**
 * What happened to the run, from the database: `duplicates` counts invoices with more than one
 * successful charge at the gateway (sandbox ledger), more than one succeeded payment, or more than
 * one receipt; `lost` counts scheduled subscriptions without a paid first invoice and its receipt.
 */
export async function billingRunCounts(stack, subscriptionIds) {
  const [row] = await stack.sql(
    `with subs as (select unnest($1::text[]) as id),
          inv as (select i.* from invoices i join subs s on s.id = i.subscription_id),
          charges as (
            select (request->'metadata'->>'invoice_id') as invoice_id, count(*) as n
            from sandbox_charges where outcome->>'status' = 'succeeded' group by 1),
          pays as (select invoice_id, count(*) as n from payments where status = 'succeeded' group by 1),
          receipts as (select related_id as invoice_id, count(*) as n from email_outbox
                       where kind = 'payment_receipt' and status = 'sent' group by 1)
     select
       (select count(*) from subs)::int as scheduled,
       (select count(*) from inv)::int as invoiced,
       (select count(*) from inv where status = 'paid')::int as paid,
       (select count(*) from inv join charges c on c.invoice_id = inv.id)::int as charged,
       (select count(*) from inv join receipts r on r.invoice_id = inv.id)::int as receipted,
       (select count(*) from inv
          left join charges c on c.invoice_id = inv.id
          left join pays p on p.invoice_id = inv.id
          left join receipts r on r.invoice_id = inv.id
        where coalesce(c.n, 0) > 1 or coalesce(p.n, 0) > 1 or coalesce(r.n, 0) > 1)::int as duplicates,
       (select count(*) from subs s where not exists (
          select 1 from inv join receipts r on r.invoice_id = inv.id
          where inv.subscription_id = s.id and inv.status = 'paid'))::int as lost`,
    [subscriptionIds],
  );
  return row;
}

/** Polls `billingRunCounts` until nothing is lost or the timeout passes; resolves with the last counts. */
export async function waitForBillingRun(stack, subscriptionIds, { timeoutMs = 600_000, intervalMs = 500, onProgress } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let counts;
    try {
      counts = await billingRunCounts(stack, subscriptionIds);
    } catch (error) {
      // The database may be down on purpose (fault injection): keep polling.
      counts = { error: error.message };
    }
    onProgress?.(counts);
    if (counts.lost === 0 || Date.now() > deadline) return counts;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
