/** A new subscription's items, checked against the catalog and the customer before anything is written. */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, Price } from '../../db/entities';
import type { IntervalUnit } from '../../domain/frequency';
import { MoneyError, money, multiplyMoney } from '../../domain/money';
import { invalidParam, missingReference, unprocessable } from '../errors';

export type RecurringPrice = Price & { intervalUnit: IntervalUnit; intervalCount: number };

/**
 * The items a create request asks for, checked against the catalog and the customer: `price` and
 * `quantity` (one item, params named as such) or `items` (params `items[i][price]`, `items[i][quantity]`).
 * 400 for both or neither, a price listed twice or missing; 422 for a one-time, inactive, other-currency
 * or other-interval price, or an item whose unit_amount × quantity no invoice can hold.
 */
export async function resolveItems(
  em: EntityManager,
  body: { price?: string; quantity?: number; items?: { price: string; quantity?: number }[] },
  customer: Customer,
): Promise<{ price: RecurringPrice; items: { priceId: string; quantity: number; unitAmount: number }[] }> {
  if (body.items !== undefined && (body.price !== undefined || body.quantity !== undefined)) {
    throw invalidParam('items', 'Give either price (and quantity) or items, not both.');
  }
  if (body.items === undefined && body.price === undefined) throw invalidParam('items', 'A subscription needs price (and quantity) or items.');
  const requested =
    body.items?.map((item, i) => ({ priceId: item.price, quantity: item.quantity ?? 1, priceParam: `items[${i}][price]`, quantityParam: `items[${i}][quantity]` })) ??
    [{ priceId: body.price!, quantity: body.quantity ?? 1, priceParam: 'price', quantityParam: 'quantity' }];
  requested.forEach((item, i) => {
    if (requested.findIndex((other) => other.priceId === item.priceId) !== i) {
      throw invalidParam(item.priceParam, `Price ${item.priceId} is listed twice; give it once with the total quantity.`);
    }
  });
  const found = new Map((await em.find(Price, { id: { $in: requested.map((item) => item.priceId) } })).map((p) => [p.id, p]));
  const prices = requested.map(({ priceId, quantity, priceParam, quantityParam }, i): RecurringPrice => {
    const price = found.get(priceId);
    if (!price) throw missingReference(priceParam, 'price', priceId);
    if (price.type !== 'recurring' || !price.intervalUnit || !price.intervalCount) {
      throw unprocessable(priceParam, 'price_not_recurring', `Price ${price.id} is one-time; a subscription needs a recurring price.`);
    }
    if (!price.active) throw unprocessable(priceParam, 'price_inactive', `Price ${price.id} is not active.`);
    if (price.currency !== customer.currency) {
      throw unprocessable(
        priceParam,
        'currency_mismatch',
        `Price ${price.id} is in ${price.currency.toLowerCase()} but customer ${customer.id} is billed in ${customer.currency.toLowerCase()}.`,
      );
    }
    const first = found.get(requested[0]!.priceId)!;
    if (i > 0 && (price.intervalUnit !== first.intervalUnit || price.intervalCount !== first.intervalCount)) {
      throw unprocessable(
        priceParam,
        'interval_mismatch',
        `Price ${price.id} bills every ${price.intervalCount} ${price.intervalUnit}(s), ${first.id} every ${first.intervalCount} ${first.intervalUnit}(s); a subscription's items share one billing interval.`,
      );
    }
    try {
      // Every period is invoiced at unit_amount × quantity. Past 2^53 minor units that product cannot be
      // represented: the first invoice failed on every retry, so the workflow never got to record a
      // pause or cancel and those answered 503 (found by schemathesis' stateful phase).
      multiplyMoney(money(price.unitAmount, price.currency), quantity);
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      throw unprocessable(quantityParam, 'amount_too_large', `unit_amount × quantity (${price.unitAmount} × ${quantity}) is larger than an invoice can hold.`);
    }
    return price as RecurringPrice;
  });
  return { price: prices[0]!, items: prices.map((price, i) => ({ priceId: price.id, quantity: requested[i]!.quantity, unitAmount: price.unitAmount })) };
}
