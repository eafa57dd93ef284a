/**
 * The arithmetic of an instalment plan: exact integer (bigint) splitting and amortisation, rounding
 * half-up to a minor unit once. No input checks: domain/instalment-schedule.ts validates first.
 */
import type { BillingInterval } from './frequency';
import { PPM_PER_WHOLE } from './pricing';

export interface Part {
  principal: bigint;
  interest: bigint;
}

/** Half-up division of non-negative bigints: .5 of a minor unit goes up, as in pricing.ts. */
export function divideHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (2n * numerator + denominator) / (2n * denominator);
}

export function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** `rest` in `count` equal parts; the remainder goes on the first. */
export function splitEqually(rest: bigint, count: number): Part[] {
  const n = BigInt(count);
  const base = rest / n;
  const remainder = rest - base * n;
  // The remainder goes on the first instalment: the later ones, which the customer sees repeat, stay equal.
  return Array.from({ length: count }, (_, k) => ({ principal: k === 0 ? base + remainder : base, interest: 0n }));
}

/** Period length in years as an exact fraction [numerator, denominator]. */
function periodInYears({ unit, count }: BillingInterval): [bigint, bigint] {
  const c = BigInt(count);
  switch (unit) {
    case 'month':
      return [c, 12n];
    case 'year':
      return [c, 1n];
    case 'week':
      return [7n * c, 365n];
    case 'day':
      return [c, 365n];
  }
}

/** The per-period rate i = rate × period length, as a reduced fraction [a, b] (i = a / b). */
export function periodRate(annualRatePpm: number, interval: BillingInterval): [bigint, bigint] {
  const [years, perYears] = periodInYears(interval);
  const a = BigInt(annualRatePpm) * years;
  const b = BigInt(PPM_PER_WHOLE) * perYears;
  const divisor = gcd(a, b) || 1n;
  return [a / divisor, b / divisor];
}

/**
 * Level payments of `principal` over `count` periods at `ratePpm` a year; `refuse` is called when rounding
 * to a minor unit would leave an instalment without a positive amount.
 */
export function amortise(principal: bigint, count: number, ratePpm: number, interval: BillingInterval, refuse: (message: string) => never): Part[] {
  const [a, b] = periodRate(ratePpm, interval);
  // With i = a/b: (1+i)^n = (a+b)^n / b^n, so A = P·a·(a+b)^n / (b·((a+b)^n − b^n)), all integers.
  const growth = (a + b) ** BigInt(count);
  const payment = divideHalfUp(principal * a * growth, b * (growth - b ** BigInt(count)));
  const parts: Part[] = [];
  let remaining = principal;
  for (let k = 0; k < count; k += 1) {
    const interest = divideHalfUp(remaining * a, b);
    const last = k === count - 1;
    const part = { principal: last ? remaining : payment - interest, interest };
    remaining -= part.principal;
    // Rounding the payment and each interest to a minor unit drifts by up to a minor unit per period;
    // only when instalments are a handful of minor units can that leave one empty or overpay the
    // principal before the last.
    if (remaining < 0n || part.principal + part.interest < 1n) {
      refuse(`count ${count} is too large for ${principal} minor units at this interest rate: rounding each payment to a minor unit leaves instalment ${k + 1} without a positive amount; use fewer instalments`);
    }
    parts.push(part);
  }
  return parts;
}
