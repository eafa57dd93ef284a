/** What every quote email shows: the quote, its lines and totals, in the customer's time zone. */
import { DateTime } from 'luxon';
import { describeInterval } from '../../domain/frequency';
import { formatMoney } from '../../domain/money';
import type { QuoteForEmail } from './quote-records';

/** A date as quote emails print it, in the customer's zone: `7 Mar 2027`. */
export const quoteEmailDate = (iso: string, zone: string): string => DateTime.fromISO(iso, { zone }).toFormat('d LLL yyyy');

export function quoteEmailView({ quote, customer, content, totals, brand }: Omit<QuoteForEmail, 'em'>) {
  const m = (amount: number) => formatMoney({ amount, currency: content.currency });
  return {
    brand,
    companyName: brand.name,
    quoteId: quote.id,
    quoteTitle: content.title,
    version: content.version,
    ownerName: content.owner.name,
    ownerEmail: content.owner.email,
    customerId: customer.id,
    customerName: customer.name,
    customerEmail: customer.email,
    total: m(totals.oneTime.total),
    expiresAt: quoteEmailDate(content.expiresAt, customer.timeZone),
    lines: content.lines.map((l) => ({
      description: l.description,
      quantity: l.quantity,
      amount: m(l.unitAmount * l.quantity),
      recurring: l.recurring ? describeInterval(l.recurring) : null,
    })),
    recurringTotals: totals.recurring.map((r) => ({ amount: m(r.total), interval: describeInterval(r.interval) })),
  };
}
