/**
 * Pricing what a buyer orders on a payment link, with the code invoices are priced with
 * (services/invoices/invoice-records.ts over domain/pricing.ts): the one-time lines are the invoice
 * charged at checkout, the recurring lines what each period bills. Quantities are checked against
 * the link's bounds; refusals name the form field `line_items[i][quantity]`.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Price, Product, type CheckoutLine, type PaymentLink } from '../../db/entities';
import { MoneyError } from '../../domain/money';
import { Refusal, invalidInput } from '../../domain/rule-violation';
import { priceInvoice, type PricedInvoice } from '../invoices/invoice-records';

export interface CheckoutOrder {
  currency: string;
  /** Every line with a quantity above zero, in the link's order. */
  lines: CheckoutLine[];
  /** The invoice charged now (one-time lines), or null when there are none. */
  oneTime: PricedInvoice<CheckoutLine> | null;
  /** What the recurring lines bill per period (before any trial), or null when there are none. */
  recurring: PricedInvoice<CheckoutLine> | null;
}

/** The quantity of each link line the buyer chose; a line without an adjustable quantity keeps the link's. */
export function checkQuantities(link: PaymentLink, requested: readonly (number | undefined)[]): number[] {
  const quantities = link.lineItems.map((item, i) => {
    const asked = requested[i];
    const param = `line_items[${i}][quantity]`;
    if (asked === undefined || !item.adjustableQuantity) return item.quantity;
    if (!Number.isSafeInteger(asked)) throw invalidInput(param, 'Enter a whole number.');
    const { minimum, maximum } = item.adjustableQuantity;
    if (asked < minimum || asked > maximum) throw invalidInput(param, `Choose a quantity from ${minimum} to ${maximum}.`);
    return asked;
  });
  if (quantities.every((q) => q === 0)) throw invalidInput('line_items[0][quantity]', 'Choose at least one item.');
  return quantities;
}

/** The order's lines, as bought now: the catalog's current unit amounts and names. */
export async function priceCheckoutOrder(em: EntityManager, link: PaymentLink, quantities: readonly number[]): Promise<CheckoutOrder> {
  const prices = new Map((await em.find(Price, { id: { $in: link.lineItems.map((l) => l.priceId) } })).map((p) => [p.id, p]));
  const products = new Map((await em.find(Product, { id: { $in: [...prices.values()].map((p) => p.productId) } })).map((p) => [p.id, p]));
  const lines: CheckoutLine[] = [];
  link.lineItems.forEach((item, i) => {
    const price = prices.get(item.priceId);
    const param = `line_items[${i}][price]`;
    // A price deactivated after the link was made is no longer for sale, on the link as anywhere.
    if (!price || !price.active) throw new Refusal('price_inactive', `Price ${item.priceId} is no longer for sale.`, param);
    if (quantities[i] === 0) return;
    const product = products.get(price.productId);
    lines.push({
      priceId: price.id,
      description: `${product?.name ?? price.id}${price.nickname ? ` (${price.nickname})` : ''}`,
      quantity: quantities[i]!,
      unitAmount: price.unitAmount,
      recurring: price.type === 'recurring' && price.intervalUnit && price.intervalCount ? { unit: price.intervalUnit, count: price.intervalCount } : null,
    });
  });
  const oneTimeLines = lines.filter((l) => l.recurring === null);
  const recurringLines = lines.filter((l) => l.recurring !== null);
  try {
    return {
      currency: link.currency,
      lines,
      oneTime: oneTimeLines.length ? priceInvoice({ currency: link.currency, lines: oneTimeLines }) : null,
      recurring: recurringLines.length ? priceInvoice({ currency: link.currency, lines: recurringLines }) : null,
    };
  } catch (err) {
    if (err instanceof MoneyError) throw new Refusal('amount_too_large', `The order is too large: ${err.message}.`, 'line_items');
    throw err;
  }
}

export type RecurringGroup = { interval: NonNullable<CheckoutLine['recurring']>; lines: CheckoutLine[] };

/** One subscription per billing interval, one item per price (a link lists each price once). */
export function groupByInterval(lines: readonly CheckoutLine[]): RecurringGroup[] {
  const groups: RecurringGroup[] = [];
  for (const line of lines) {
    if (!line.recurring) continue;
    const group = groups.find((g) => g.interval.unit === line.recurring!.unit && g.interval.count === line.recurring!.count);
    if (group) group.lines.push(line);
    else groups.push({ interval: line.recurring, lines: [line] });
  }
  return groups;
}
