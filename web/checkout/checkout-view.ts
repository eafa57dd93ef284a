/**
 * What the checkout and confirmation templates show: the order's lines and totals as priced by
 * services/checkout (the invoice pricing code), formatted for the visitor's locale.
 */
import type { CheckoutLine, PaymentLink } from '../../db/entities';
import type { CheckoutOrder } from '../../services/checkout/checkout-order';
import type { Formatters } from '../i18n';

const DAY_MS = 86_400_000;

export function interval(line: Pick<CheckoutLine, 'recurring'>): string | null {
  const r = line.recurring;
  if (!r) return null;
  return r.count === 1 ? r.unit : `${r.count} ${r.unit}s`;
}

export interface SummaryLine {
  index: number;
  description: string;
  quantity: number;
  unitPrice: string;
  amount: string;
  every: string | null;
  adjustable: { min: number; max: number } | null;
}

/** The summary of an order on a link: one row per link line (a line bought 0 times shows 0), and the totals. */
export function orderSummary(link: PaymentLink, order: CheckoutOrder, quantities: readonly number[], { money, t }: Pick<Formatters, 'money' | 't'>) {
  const currency = link.currency;
  const byPrice = new Map(order.lines.map((l) => [l.priceId, l]));
  const lines: SummaryLine[] = link.lineItems.map((item, index) => {
    const line = byPrice.get(item.priceId);
    const every = line ? interval(line) : null;
    return {
      index,
      description: line?.description ?? item.priceId,
      quantity: quantities[index] ?? item.quantity,
      unitPrice: line ? money(line.unitAmount, currency) : '',
      amount: line ? money(line.unitAmount * line.quantity, currency) : money(0, currency),
      every: every ? t('checkout.every', { interval: every }) : null,
      adjustable: item.adjustableQuantity ? { min: item.adjustableQuantity.minimum, max: item.adjustableQuantity.maximum } : null,
    };
  });
  const totals = order.oneTime?.totals;
  const recurring = order.recurring;
  const recurringEvery = recurring ? interval(recurring.lines[0]!) : null;
  // Subscriptions without a trial bill their first period at once, beside the one-time lines.
  const dueToday = (totals?.total ?? 0) + (recurring && link.trialPeriodDays === null ? recurring.totals.total : 0);
  const sameInterval = recurring ? recurring.lines.every((l) => interval(l) === recurringEvery) : false;
  return {
    lines,
    subtotal: totals ? money(totals.subtotal, currency) : null,
    discount: totals && totals.discountTotal > 0 ? money(totals.discountTotal, currency) : null,
    fees: totals && totals.feeTotal > 0 ? money(totals.feeTotal, currency) : null,
    tax: totals && totals.taxTotal > 0 ? money(totals.taxTotal, currency) : null,
    dueToday: money(dueToday, currency),
    dueTodayMinor: dueToday,
    recurring: recurring
      ? {
          amount: money(recurring.totals.total, currency),
          every: sameInterval && recurringEvery ? t('checkout.every', { interval: recurringEvery }) : '',
          trialDays: link.trialPeriodDays,
        }
      : null,
  };
}

/** The last day a buyer may choose for a future start, and today, as `YYYY-MM-DD` (UTC). */
export function startDateBounds(link: PaymentLink, now: Date): { min: string; max: string } | null {
  if (link.futureStartMaxDays === null) return null;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { min: day(today), max: day(today + link.futureStartMaxDays * DAY_MS) };
}
