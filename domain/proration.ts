/**
 * Proration of a plan change in the middle of a billing period. Pure: no I/O, no clock (the
 * proration date is an argument, as Stripe's `proration_date`, so a preview and the change made with
 * the same date agree to the cent).
 *
 * The billed period [start, end) was invoiced at the old amount (unit amount × quantity). Changing at
 * instant t in it:
 *   remaining share  r = (end − t) / (end − start), exact, in milliseconds;
 *   credit           = old amount × r, rounded half-up: the unused time already paid for;
 *   charge           = new amount × r, rounded half-up: the rest of the period on the new plan;
 *   net              = charge − credit (negative for a downgrade).
 * Each of credit and charge is rounded once, so the two lines the customer sees are each exact to the
 * minor unit. Taxes, coupons and fees are applied by domain/pricing.ts when the lines are invoiced.
 *
 * Several changes in one period must come in the order of their proration dates (checkProrationDate):
 * a change credits the unused time of the plan it leaves, and that plan was charged only from the
 * previous change's date. Dated earlier, it would credit time nobody paid for (a change dated the 21st
 * then one dated the 11th credits the new plan for ten days it was never billed for).
 */
import { money } from './money';
import { Refusal } from './rule-violation';

/** A proration input out of order or range: a 400 naming the field. */
export class ProrationError extends Refusal {
  override name = 'ProrationError';
  declare readonly param: string;
  constructor(message: string, param: string) {
    super('parameter_invalid', message, param);
  }
}

export interface ProrationInput {
  currency: string;
  /** The period already billed at the old amount; ISO instants, end exclusive. */
  period: { start: string; end: string };
  /** When the change takes effect: start ≤ t < end. */
  prorationDate: string;
  /** Old and new price of one whole period (unit amount × quantity), minor units. */
  oldAmount: number;
  newAmount: number;
}

export interface Proration {
  /** Milliseconds left in the period at the proration date, and the period's length. */
  remainingMs: number;
  periodMs: number;
  credit: number;
  charge: number;
  net: number;
}

const halfUp = (numerator: bigint, denominator: bigint): bigint => (2n * numerator + denominator) / (2n * denominator);

function instant(iso: string, param: string): number {
  const ms = Date.parse(iso);
  if (typeof iso !== 'string' || Number.isNaN(ms)) throw new ProrationError(`${param} must be an ISO 8601 instant, got ${JSON.stringify(iso)}`, param);
  return ms;
}

/**
 * Refuses a proration date a change in the billed `period` may not take: outside the period (start ≤ t <
 * end), or before `lastProrationDate`, the date of the latest prorated change already made in it (null
 * when none; one from an earlier period never binds, as t ≥ start). The same date as the last change is
 * allowed. Kept this way, each credit is at most what the plan it leaves was charged for that time, and
 * the credits of a period never exceed what was billed for it.
 */
export function checkProrationDate(period: { start: string; end: string }, prorationDate: string, lastProrationDate: string | null): void {
  const start = instant(period.start, 'period[start]');
  const end = instant(period.end, 'period[end]');
  const at = instant(prorationDate, 'proration_date');
  if (end <= start) throw new ProrationError('the billing period must end after it starts', 'period');
  if (at < start || at >= end) {
    throw new ProrationError(`proration_date ${prorationDate} must fall in the current period (${period.start} to ${period.end})`, 'proration_date');
  }
  if (lastProrationDate !== null && at < instant(lastProrationDate, 'last_proration_date')) {
    throw new ProrationError(
      `proration_date ${prorationDate} is before the last plan change in this period (${lastProrationDate}); a change cannot take effect before it`,
      'proration_date',
    );
  }
}

export function prorate(input: ProrationInput): Proration {
  checkProrationDate(input.period, input.prorationDate, null);
  const start = Date.parse(input.period.start);
  const end = Date.parse(input.period.end);
  const at = Date.parse(input.prorationDate);
  // money() validates the currency and that both amounts are non-negative safe integers.
  const oldAmount = money(input.oldAmount, input.currency).amount;
  const newAmount = money(input.newAmount, input.currency).amount;
  if (oldAmount < 0 || newAmount < 0) throw new ProrationError('amounts must not be negative', oldAmount < 0 ? 'old_amount' : 'new_amount');
  const remainingMs = end - at;
  const periodMs = end - start;
  const share = (amount: number): number => Number(halfUp(BigInt(amount) * BigInt(remainingMs), BigInt(periodMs)));
  const credit = share(oldAmount);
  const charge = share(newAmount);
  return { remainingMs, periodMs, credit, charge, net: charge - credit };
}
