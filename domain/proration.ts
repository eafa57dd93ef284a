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
 */
import { money } from './money';

export class ProrationError extends Error {
  override name = 'ProrationError';
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
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

export function prorate(input: ProrationInput): Proration {
  const start = instant(input.period.start, 'period[start]');
  const end = instant(input.period.end, 'period[end]');
  const at = instant(input.prorationDate, 'proration_date');
  if (end <= start) throw new ProrationError('the billing period must end after it starts', 'period');
  if (at < start || at >= end) {
    throw new ProrationError(`proration_date must fall in the current period (${input.period.start} to ${input.period.end})`, 'proration_date');
  }
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
