/**
 * Payment terms: when an invoice is due, counted from the instant it is finalized. Pure: the caller
 * passes the finalize instant and the customer's IANA time zone.
 *
 * `net_N` is due N calendar days after finalization at the same local time in the customer's time
 * zone (as Stripe's days_until_due, but by the customer's calendar): across a DST change the interval
 * is N days ± 1 hour, never a shifted wall-clock time, and month ends need no special case (finalized
 * Jan 31, net 30 is due Mar 2, or Mar 1 in a leap year). `due_on_receipt` is due at the finalize
 * instant itself. `custom` keeps the due date given with the invoice.
 */
import { DateTime } from 'luxon';
import { Refusal } from './rule-violation';

export const NET_TERMS_DAYS = {
  net_7: 7,
  net_15: 15,
  net_30: 30,
  net_45: 45,
  net_60: 60,
  net_90: 90,
} as const;

export type NetTerms = keyof typeof NET_TERMS_DAYS;
export type PaymentTerms = 'due_on_receipt' | NetTerms | 'custom';

export const PAYMENT_TERMS: readonly PaymentTerms[] = ['due_on_receipt', ...(Object.keys(NET_TERMS_DAYS) as NetTerms[]), 'custom'];

/** Payment terms that give no due date (422 `date_invalid`). */
export class PaymentTermsError extends Refusal {
  override name = 'PaymentTermsError';
  constructor(message: string) {
    super('date_invalid', message);
  }
}

export function isPaymentTerms(value: string): value is PaymentTerms {
  return (PAYMENT_TERMS as readonly string[]).includes(value);
}

/** Terms when none are given: emailed invoices give the customer 30 days; charged ones are due at once. */
export function defaultPaymentTerms(collectionMethod: 'charge_automatically' | 'send_invoice'): PaymentTerms {
  return collectionMethod === 'send_invoice' ? 'net_30' : 'due_on_receipt';
}

/**
 * The due date of an invoice finalized at `finalizedAt`. For `custom` terms `customDueDate` is required
 * and returned as is (the caller decides whether a past date is acceptable).
 */
export function computeDueDate(terms: PaymentTerms, finalizedAt: Date, timeZone: string, customDueDate: Date | null = null): Date {
  if (Number.isNaN(finalizedAt.getTime())) throw new PaymentTermsError('finalizedAt is not a valid date');
  if (terms === 'custom') {
    if (!customDueDate || Number.isNaN(customDueDate.getTime())) throw new PaymentTermsError('custom payment terms need a due date');
    return customDueDate;
  }
  if (terms === 'due_on_receipt') return finalizedAt;
  const days = NET_TERMS_DAYS[terms];
  if (days === undefined) throw new PaymentTermsError(`Unknown payment terms "${String(terms)}"`);
  const local = DateTime.fromJSDate(finalizedAt, { zone: timeZone });
  if (!local.isValid) throw new PaymentTermsError(`Invalid time zone "${timeZone}"`);
  return local.plus({ days }).toJSDate();
}
