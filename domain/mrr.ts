// Monthly recurring revenue: what recurring amounts billed at any frequency come to per month.
//
// A month is a twelfth of a year, and a year has 52 weeks and 365 days, the usual MRR convention
// (a weekly plan is 52 payments a year, not 4 a month):
//   every c months  -> amount / c
//   every c years   -> amount / (12 c)
//   every c weeks   -> amount × 52 / (12 c)
//   every c days    -> amount × 365 / (12 c)
//
// Each amount's monthly share is kept as an exact fraction of minor units (bigint numerator and
// denominator) and only the total is rounded, once, half-up to a whole minor unit. Rounding each
// share first would let the errors add up: three weekly plans of 1 cent are 4.33 cents a month each,
// 13 cents together, not 3 × 4 = 12.
import { MoneyError } from './money';
import { validateInterval, type BillingInterval } from './frequency';

/** An exact non-negative number of minor units: numerator / denominator, denominator > 0. */
export interface Fraction {
  numerator: bigint;
  denominator: bigint;
}

/**
 * A recurring charge: `amount` minor units every `interval`, such as a subscription item's unit amount ×
 * quantity, or the sum of several on the same interval (a subscription's items share its interval).
 */
export interface RecurringAmount {
  amount: number | bigint;
  interval: BillingInterval;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** How many of the interval's units a year has, as the monthly formulas above count them. */
const UNITS_PER_YEAR: Record<BillingInterval['unit'], bigint> = { day: 365n, week: 52n, month: 12n, year: 1n };

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function reduce(numerator: bigint, denominator: bigint): Fraction {
  const divisor = gcd(numerator, denominator);
  return divisor > 1n ? { numerator: numerator / divisor, denominator: denominator / divisor } : { numerator, denominator };
}

function requireAmount(amount: unknown): bigint {
  // A bigint comes from a SQL sum (which may pass 2^53 before it is divided down); a number must be a safe integer.
  if (typeof amount === 'bigint') {
    if (amount < 0n) throw new MoneyError(`A recurring amount must not be negative, got ${amount}`);
    return amount;
  }
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) {
    throw new MoneyError(`A recurring amount must be a non-negative safe integer of minor units, got ${String(amount)}`);
  }
  return BigInt(amount);
}

/**
 * The exact monthly share of `amount` billed every `interval`, reduced. Per year the amount is paid
 * UNITS_PER_YEAR / count times, so per month it is amount × UNITS_PER_YEAR / (12 × count).
 */
export function monthlyShare({ amount, interval }: RecurringAmount): Fraction {
  const invalid = validateInterval(interval);
  if (invalid !== null) throw new MoneyError(invalid);
  return reduce(requireAmount(amount) * UNITS_PER_YEAR[interval.unit], 12n * BigInt(interval.count));
}

/** The exact sum of fractions, reduced; zero is 0/1. */
export function sumFractions(fractions: readonly Fraction[]): Fraction {
  return fractions.reduce<Fraction>(
    (total, f) => reduce(total.numerator * f.denominator + f.numerator * total.denominator, total.denominator * f.denominator),
    { numerator: 0n, denominator: 1n },
  );
}

/** Half-up to a whole minor unit (exactly .5 goes up), as domain/pricing.ts rounds; for non-negative fractions. */
export function roundHalfUp({ numerator, denominator }: Fraction): bigint {
  return (2n * numerator + denominator) / (2n * denominator);
}

/**
 * Monthly recurring revenue of `amounts` in integer minor units of their (one) currency: the exact
 * sum of their monthly shares, rounded half-up once. An empty list is 0.
 */
export function monthlyRecurringRevenue(amounts: readonly RecurringAmount[]): number {
  const total = roundHalfUp(sumFractions(amounts.map(monthlyShare)));
  if (total > MAX_SAFE) throw new MoneyError(`Monthly recurring revenue of ${total} minor units is too large to represent`);
  return Number(total);
}
