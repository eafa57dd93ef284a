/**
 * Checking what a payment link sells against the catalog: 1 to 20 active prices, all in one currency,
 * each quantity within its adjustable bounds. Refusals name the request field (the API's names).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Price, type AfterCompletion, type PaymentLinkLineItem, type PaymentLinkMode } from '../../db/entities';
import { Refusal, invalidInput, missingReference } from '../../domain/rule-violation';

export const MAX_LINK_LINE_ITEMS = 20;
/** A buyer may choose at most this many of one line (Stripe's bound for adjustable quantities). */
export const MAX_ADJUSTABLE_QUANTITY = 999_999;
/** The furthest a buyer may push a subscription's start (`allow_future_start[maximum_days]`). */
export const MAX_FUTURE_START_DAYS = 365;
export const DEFAULT_FUTURE_START_DAYS = 90;

/** A line item as the API takes it. */
export interface LineItemRequest {
  price: string;
  quantity: number;
  adjustable_quantity?: { enabled: boolean; minimum?: number; maximum?: number };
}

export interface AfterCompletionRequest {
  type: 'hosted_confirmation' | 'redirect';
  hosted_confirmation?: { custom_message?: string };
  redirect?: { url: string };
}

/** The bounds a buyer may choose within, checked against the default quantity. */
function adjustable(item: LineItemRequest, i: number): PaymentLinkLineItem['adjustableQuantity'] {
  const a = item.adjustable_quantity;
  if (a === undefined || !a.enabled) {
    if (a && (a.minimum !== undefined || a.maximum !== undefined)) {
      throw invalidInput(`line_items[${i}][adjustable_quantity][enabled]`, 'minimum and maximum apply only when adjustable_quantity[enabled] is true.');
    }
    return null;
  }
  const minimum = a.minimum ?? 0;
  const maximum = a.maximum ?? 99;
  const param = (field: string) => `line_items[${i}][adjustable_quantity][${field}]`;
  if (maximum < minimum) throw invalidInput(param('maximum'), `${param('maximum')} must be at least ${param('minimum')} (${minimum}).`);
  if (maximum > MAX_ADJUSTABLE_QUANTITY) throw invalidInput(param('maximum'), `${param('maximum')} is at most ${MAX_ADJUSTABLE_QUANTITY}.`);
  if (item.quantity < minimum || item.quantity > maximum) {
    throw invalidInput(`line_items[${i}][quantity]`, `line_items[${i}][quantity] must lie within the adjustable range ${minimum}..${maximum}.`);
  }
  return { enabled: true, minimum, maximum };
}

/** Line items checked against the catalog; the currency and mode they give the link. */
export async function resolveLinkLineItems(
  em: EntityManager,
  items: LineItemRequest[],
): Promise<{ lineItems: PaymentLinkLineItem[]; currency: string; mode: PaymentLinkMode; prices: Map<string, Price> }> {
  if (items.length < 1 || items.length > MAX_LINK_LINE_ITEMS) throw invalidInput('line_items', `line_items holds 1 to ${MAX_LINK_LINE_ITEMS} items.`);
  const ids = [...new Set(items.map((item) => item.price))];
  const prices = new Map((await em.find(Price, { id: { $in: ids } })).map((p) => [p.id, p]));
  const seen = new Set<string>();
  const lineItems = items.map((item, i) => {
    const param = `line_items[${i}][price]`;
    const price = prices.get(item.price);
    if (!price) throw missingReference(param, 'price', item.price);
    if (seen.has(price.id)) throw invalidInput(param, `Price ${price.id} is listed twice; give it once with its quantity.`);
    seen.add(price.id);
    if (!price.active) throw new Refusal('price_inactive', `Price ${price.id} is not active.`, param);
    if (item.quantity < 1 && !item.adjustable_quantity?.enabled) throw invalidInput(`line_items[${i}][quantity]`, `line_items[${i}][quantity] must be at least 1.`);
    return { priceId: price.id, quantity: item.quantity, adjustableQuantity: adjustable(item, i) };
  });
  const currency = prices.get(lineItems[0]!.priceId)!.currency;
  lineItems.forEach((line, i) => {
    const price = prices.get(line.priceId)!;
    if (price.currency !== currency) {
      throw new Refusal('currency_mismatch', `All prices of a payment link share one currency: ${price.id} is in ${price.currency.toLowerCase()}, not ${currency.toLowerCase()}.`, `line_items[${i}][price]`);
    }
  });
  const mode: PaymentLinkMode = [...prices.values()].some((p) => p.type === 'recurring') ? 'subscription' : 'payment';
  return { lineItems, currency, mode, prices };
}

/** Only absolute http(s) URLs: a buyer is never sent to a `javascript:` or relative address. */
export function redirectUrl(raw: string, param: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidInput(param, `${param} must be an absolute https or http URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidInput(param, `${param} must be an absolute https or http URL.`);
  if (url.username || url.password) throw invalidInput(param, `${param} must not carry credentials.`);
  return url.toString();
}

export function resolveAfterCompletion(body: AfterCompletionRequest | undefined): AfterCompletion {
  if (body === undefined) return { type: 'hosted_confirmation', customMessage: null };
  if (body.type === 'redirect') {
    if (body.hosted_confirmation !== undefined) throw invalidInput('after_completion[hosted_confirmation]', 'after_completion[hosted_confirmation] goes with type=hosted_confirmation.');
    if (!body.redirect) throw invalidInput('after_completion[redirect][url]', 'after_completion[type]=redirect needs after_completion[redirect][url].', 'parameter_missing');
    return { type: 'redirect', url: redirectUrl(body.redirect.url, 'after_completion[redirect][url]') };
  }
  if (body.redirect !== undefined) throw invalidInput('after_completion[redirect]', 'after_completion[redirect] goes with type=redirect.');
  const message = body.hosted_confirmation?.custom_message?.trim();
  return { type: 'hosted_confirmation', customMessage: message ? message : null };
}
