/**
 * The subscriptions an accepted quote starts (once) for its recurring lines, from `startDate`,
 * through services/subscriptions/start-subscription.ts. The records are written with the quote row
 * locked and pointing at them; each workflow start is idempotent.
 */
import type { Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Customer, Subscription } from '../../db/entities';
import { newId } from '../../db/ids';
import type { QuoteContent } from '../../domain/quote';
import { addSubscriptionRecord, startSubscriptionWorkflow } from '../subscriptions/start-subscription';
import { currentQuoteVersion, lockQuote } from './quote-records';

type SubscriptionItem = { priceId: string; quantity: number; unitAmount: number };
type SubscriptionGroup = { interval: { unit: 'day' | 'week' | 'month' | 'year'; count: number }; items: Map<string, SubscriptionItem> };

/**
 * One subscription per billing interval, holding one item per price (a price quoted on two lines is
 * one item with both quantities): a monthly seat price and a monthly add-on bill together. A price
 * quoted twice at different negotiated amounts cannot be one item: it goes to another subscription on
 * the same interval.
 */
export function groupRecurringLines(content: QuoteContent): SubscriptionGroup[] {
  const groups: SubscriptionGroup[] = [];
  for (const line of content.lines) {
    if (!line.recurring || !line.priceId) continue;
    const sameInterval = groups.filter((g) => g.interval.unit === line.recurring!.unit && g.interval.count === line.recurring!.count);
    let group = sameInterval.find((g) => g.items.get(line.priceId!)?.unitAmount === line.unitAmount) ?? sameInterval.find((g) => !g.items.has(line.priceId!));
    if (!group) {
      group = { interval: line.recurring, items: new Map<string, SubscriptionItem>() };
      groups.push(group);
    }
    const item = group.items.get(line.priceId);
    if (item) item.quantity += line.quantity;
    else group.items.set(line.priceId, { priceId: line.priceId, quantity: line.quantity, unitAmount: line.unitAmount });
  }
  return groups;
}

export async function startQuoteSubscriptions(
  orm: MikroORM,
  temporal: { client: Client; taskQueue: string },
  { quoteId, startDate, now }: { quoteId: string; startDate: string; now: string },
): Promise<{ subscriptionIds: string[] }> {
  const subscriptions = await orm.em.fork().transactional(async (em) => {
    const quote = await lockQuote(em, quoteId);
    if (quote.subscriptionIds.length > 0) return em.find(Subscription, { id: { $in: quote.subscriptionIds } }, { orderBy: { id: 'asc' } });
    const customer = await em.findOneOrFail(Customer, { id: quote.customerId });
    const { content } = await currentQuoteVersion(em, quote);
    const created: Subscription[] = [];
    for (const group of groupRecurringLines(content)) {
      created.push(
        addSubscriptionRecord(em, {
          id: newId('subscription'),
          customerId: customer.id,
          timeZone: customer.timeZone,
          currency: content.currency,
          intervalUnit: group.interval.unit,
          intervalCount: group.interval.count,
          items: [...group.items.values()],
          collectionMethod: content.payment.oneTime === 'send_invoice' || !customer.defaultPaymentMethod ? 'send_invoice' : 'charge_automatically',
          startDate: new Date(startDate),
          metadata: { quote: quoteId },
          defaultTaxRateIds: content.taxRates.map((t) => t.id),
          now: new Date(now),
        }),
      );
    }
    await em.flush();
    quote.subscriptionIds = created.map((s) => s.id);
    quote.updatedAt = new Date();
    return created;
  });
  for (const subscription of subscriptions) await startSubscriptionWorkflow(temporal.client, temporal.taskQueue, subscription);
  return { subscriptionIds: subscriptions.map((s) => s.id) };
}
