/**
 * One line of a quote from what the caller gave: a catalog price (active, in the quote's currency;
 * recurring prices start subscriptions on payment), or free text with its own amount (one-time).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Price, Product } from '../../db/entities';
import { newId } from '../../db/ids';
import type { QuoteLine } from '../../domain/quote';
import { Refusal, invalidInput, missingReference } from '../../domain/rule-violation';
import type { LineRequest } from './quote-input';

export async function resolveQuoteLine(em: EntityManager, input: LineRequest, param: string, currency: string): Promise<QuoteLine> {
  const quantity = input.quantity ?? 1;
  if (input.price === undefined) {
    if (input.description === undefined) throw invalidInput(`${param}[description]`, `${param}[description] is required for a line without a price.`);
    if (input.unit_amount === undefined) throw invalidInput(`${param}[unit_amount]`, `${param}[unit_amount] is required for a line without a price.`);
    return { id: newId('quoteLine'), description: input.description, priceId: null, unitAmount: input.unit_amount, quantity, recurring: null };
  }
  const price = await em.findOne(Price, { id: input.price });
  if (!price) throw missingReference(`${param}[price]`, 'price', input.price);
  if (!price.active) throw invalidInput(`${param}[price]`, `Price ${price.id} is not active.`);
  if (price.currency !== currency) {
    // A 422 (a coupon's currency mismatch is a 400): the line is well formed, the quote cannot take it.
    throw new Refusal('currency_mismatch', `Price ${price.id} is in ${price.currency.toLowerCase()}; the quote is in ${currency.toLowerCase()}.`, `${param}[price]`, 'unprocessable');
  }
  const product = await em.findOne(Product, { id: price.productId });
  const recurring = price.type === 'recurring' && price.intervalUnit && price.intervalCount ? { unit: price.intervalUnit, count: price.intervalCount } : null;
  return {
    id: newId('quoteLine'),
    description: input.description ?? [product?.name ?? 'Item', price.nickname].filter(Boolean).join(' – '),
    priceId: price.id,
    unitAmount: input.unit_amount ?? price.unitAmount,
    quantity,
    recurring,
  };
}
