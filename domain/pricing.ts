/**
 * Invoice totals in exact integer minor units: lines, discounts, fees and taxes. Pure: no I/O, no clock.
 *
 * Order of application (every amount is non-negative minor units of the invoice currency):
 *  1. Line amount = unit_amount × quantity.
 *  2. Subtotal = sum of the line amounts.
 *  3. Discounts, in the order given, each on what the earlier ones left (the running discounted
 *     subtotal): a percentage takes that share of it, rounded half-up; a fixed amount takes at most
 *     what is left, so nothing is ever discounted below zero. Each discount is then allocated across
 *     the lines in proportion to what each line still carries (dinero.js `allocate`, largest
 *     remainder), so the per-line shares add up to the discount exactly and never exceed a line.
 *  4. Fees: a fixed amount, or a percentage of the discounted subtotal (half-up). A taxable fee joins
 *     the taxable base; a non-taxable one is never taxed.
 *  5. Taxes are rounded once per tax rate on the whole invoice, not per line: the base B is the
 *     discounted lines plus taxable fees. With I the sum of the inclusive rates,
 *       inclusive rate r: tax = B × r / (1 + I)   (the tax already contained in B),
 *       exclusive rate r: tax = N × r, where N = B − (inclusive taxes) is the net base.
 *     Each tax is rounded half-up, then allocated across the taxed items (lines, then taxable fees) in
 *     proportion to their amounts, so per-line taxes add up to the invoice's tax exactly. Every tax
 *     reports N as its taxable amount: an inclusive rate is levied on the net, not on the gross B.
 *  6. Total = subtotal − discounts + fees + exclusive taxes. Inclusive taxes are already inside it.
 *
 * Rounding: half-up (.5 of a minor unit goes up), one rounding per discount, per percentage fee and per
 * tax rate. Zero-decimal currencies (JPY, KRW) round to whole units like any other minor unit.
 *
 * Percentages are decimal strings with up to 4 decimals ("20", "8.875"), held as an integer number of
 * millionths of the amount (ppm): 20 % is 200 000, 8.875 % is 88 750. Never a float.
 *
 * Exactness: the rounding and allocation steps multiply an amount by a rate or a ratio, which can pass
 * 2^53 for large invoices. They run on dinero.js with a bigint calculator, so the result is exact over
 * the whole range of minor units `domain/money.ts` accepts; results go back through `money()`, which
 * rejects anything beyond a safe integer with a MoneyError.
 */
import { allocate, createDinero, halfUp, toSnapshot } from 'dinero.js';
import type { Dinero, DineroCalculator, DineroComparisonOperator } from 'dinero.js';
import { MoneyError, money, multiplyMoney, sumMoney, subtractMoney, addMoney, currencyExponent, type Money } from './money';
import { Refusal } from './rule-violation';

/** Millionths of an amount in one whole (100 %). */
export const PPM_PER_WHOLE = 1_000_000;
/** Millionths per percentage point: "1" % is 10 000 ppm. */
const PPM_PER_PERCENT = 10_000;

export const MAX_PERCENTAGE_DECIMALS = 4;
/** Matches the accepted percentage strings: 0 to 3 integer digits, up to 4 decimals. */
export const PERCENTAGE_PATTERN = '^[0-9]{1,3}(\\.[0-9]{1,4})?$';
const PERCENTAGE_RE = new RegExp(PERCENTAGE_PATTERN);

/** A price input out of range: a 400 naming the field where it is, e.g. `discounts[1][percent_off]` (API parameter naming). */
export class PricingError extends Refusal {
  override name = 'PricingError';
  declare readonly param: string;
  constructor(message: string, param: string) {
    super('parameter_invalid', message, param);
  }
}

/**
 * "8.875" → 88 750 ppm. Accepts 0 to 100 with at most four decimals; anything else (exponents, signs,
 * more decimals, over 100) is a PricingError naming `param`.
 */
export function parsePercentage(text: string, param = 'percentage'): number {
  if (typeof text !== 'string' || !PERCENTAGE_RE.test(text)) {
    throw new PricingError(`${param} must be a decimal percentage with at most ${MAX_PERCENTAGE_DECIMALS} decimals, e.g. "20" or "8.875"`, param);
  }
  const [whole, fraction = ''] = text.split('.');
  const ppm = Number(whole) * PPM_PER_PERCENT + Number(fraction.padEnd(MAX_PERCENTAGE_DECIMALS, '0'));
  if (ppm > PPM_PER_WHOLE) throw new PricingError(`${param} must be between 0 and 100, got ${text}`, param);
  return ppm;
}

/** 88 750 ppm → "8.875" (shortest exact form, as a client would have written it). */
export function formatPercentage(ppm: number): string {
  requirePpm(ppm, 'percentage');
  const whole = Math.floor(ppm / PPM_PER_PERCENT);
  const fraction = String(ppm % PPM_PER_PERCENT).padStart(MAX_PERCENTAGE_DECIMALS, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

function requirePpm(ppm: number, param: string): number {
  if (!Number.isSafeInteger(ppm) || ppm < 0 || ppm > PPM_PER_WHOLE) {
    throw new PricingError(`${param} must be an integer number of millionths between 0 and ${PPM_PER_WHOLE}, got ${String(ppm)}`, param);
  }
  return ppm;
}

// ---- inputs ---------------------------------------------------------------------------------

export interface PricingLineInput {
  unitAmount: number;
  quantity: number;
}

export type DiscountInput =
  | { type: 'percentage'; ratePpm: number; description?: string | null }
  | { type: 'fixed_amount'; amount: number; description?: string | null };

export type FeeInput =
  | { type: 'fixed_amount'; amount: number; taxable: boolean; description: string }
  | { type: 'percentage'; ratePpm: number; taxable: boolean; description: string };

export interface TaxRateInput {
  displayName: string;
  ratePpm: number;
  /** True: the line and fee amounts already contain this tax. False: it is added on top. */
  inclusive: boolean;
}

export interface InvoiceTotalsInput {
  currency: string;
  lines: readonly PricingLineInput[];
  discounts?: readonly DiscountInput[];
  fees?: readonly FeeInput[];
  taxRates?: readonly TaxRateInput[];
}

// ---- outputs --------------------------------------------------------------------------------

export interface LineTotals {
  /** unit_amount × quantity, before discounts. */
  amount: number;
  /** This line's share of every discount. */
  discountAmount: number;
  /** amount − discountAmount: what the line contributes to the taxable base. */
  discountedAmount: number;
  /** This line's share of each tax rate, in the order of `taxRates`. */
  taxAmounts: number[];
}

export interface DiscountTotals {
  /** What this discount took off the invoice. */
  amount: number;
  /** Its share on each line, in line order; sums to `amount`. */
  lineAmounts: number[];
}

export interface FeeTotals {
  amount: number;
  taxable: boolean;
  /** This fee's share of each tax rate (zeros for a non-taxable fee). */
  taxAmounts: number[];
}

export interface TaxTotals {
  displayName: string;
  ratePpm: number;
  inclusive: boolean;
  /**
   * The net base the rate is levied on, for inclusive and exclusive rates alike: the taxed amounts less
   * the inclusive taxes they contain (20 % inside 10.00 gross is 1.67 on a base of 8.33, not 10.00), as
   * a tax authority reads a VAT line.
   */
  taxableAmount: number;
  amount: number;
}

export interface InvoiceTotals {
  currency: string;
  lines: LineTotals[];
  discounts: DiscountTotals[];
  fees: FeeTotals[];
  taxes: TaxTotals[];
  /** Sum of the line amounts before discounts. */
  subtotal: number;
  discountTotal: number;
  /** subtotal − discountTotal. */
  discountedSubtotal: number;
  feeTotal: number;
  /** Every tax, inclusive and exclusive. */
  taxTotal: number;
  /** Taxes contained in the amounts (already part of the subtotal and fees). */
  inclusiveTaxTotal: number;
  /** Taxes added on top. */
  exclusiveTaxTotal: number;
  /** subtotal − discountTotal + feeTotal + exclusiveTaxTotal. */
  total: number;
}

// ---- exact arithmetic -----------------------------------------------------------------------

// dinero.js' own calculator computes with numbers; this is its documented extension point for bigint.
const bigintCalculator: DineroCalculator<bigint> = {
  add: (a, b) => a + b,
  compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0) as DineroComparisonOperator,
  decrement: (a) => a - 1n,
  increment: (a) => a + 1n,
  integerDivide: (a, b) => a / b,
  modulo: (a, b) => a % b,
  multiply: (a, b) => a * b,
  power: (a, b) => a ** b,
  subtract: (a, b) => a - b,
  zero: () => 0n,
};
const bigDinero = createDinero({ calculator: bigintCalculator });

function toBig(m: Money): Dinero<bigint> {
  const exponent = BigInt(currencyExponent(m.currency));
  return bigDinero({ amount: BigInt(m.amount), currency: { code: m.currency, base: 10n, exponent } });
}

function bigintToMoney(amount: bigint, currency: string, what: string): Money {
  if (amount > BigInt(Number.MAX_SAFE_INTEGER) || amount < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new MoneyError(`${what} is beyond the largest amount an invoice can hold`);
  }
  return money(Number(amount), currency);
}

/** m × numerator / denominator, rounded half-up (dinero.js `halfUp`), exact for any safe-integer inputs. */
function scaleHalfUp(m: Money, numerator: number, denominator: number): Money {
  return bigintToMoney(halfUp(BigInt(m.amount) * BigInt(numerator), BigInt(denominator), bigintCalculator), m.currency, 'A percentage');
}

/**
 * Splits `m` across `weights` in proportion (largest remainder, as dinero.js allocates); the parts sum
 * exactly to `m`. All-zero weights can only carry a zero amount, which then splits into zeros.
 */
export function allocateProportionally(m: Money, weights: readonly number[]): Money[] {
  const ratioSum = weights.reduce((sum, w) => sum + w, 0);
  if (ratioSum === 0) {
    if (m.amount !== 0) throw new MoneyError(`Cannot allocate ${m.amount} ${m.currency} across parts that are all zero`);
    return weights.map(() => money(0, m.currency));
  }
  if (m.amount === 0) return weights.map(() => money(0, m.currency));
  return allocate(toBig(m), weights.map((w) => BigInt(w))).map((part) => bigintToMoney(toSnapshot(part).amount, m.currency, 'An allocation'));
}

const minOf = (a: Money, b: Money): Money => (a.amount <= b.amount ? a : b);

function requireNonNegativeAmount(amount: number, currency: string, param: string): Money {
  let m: Money;
  try {
    m = money(amount, currency);
  } catch (err) {
    if (err instanceof MoneyError) throw new PricingError(`${param}: ${err.message}`, param);
    throw err;
  }
  if (m.amount < 0) throw new PricingError(`${param} must not be negative`, param);
  return m;
}

// ---- the computation ------------------------------------------------------------------------

/**
 * Computes every amount of an invoice from its lines, discounts, fees and tax rates (see the rules at
 * the top of this module). Throws PricingError (naming the offending input) for invalid input and
 * MoneyError when a result would be beyond the amounts an invoice can hold.
 */
export function computeInvoiceTotals(input: InvoiceTotalsInput): InvoiceTotals {
  const currency = money(0, input.currency).currency;
  const zero = money(0, currency);
  const discounts = input.discounts ?? [];
  const fees = input.fees ?? [];
  const taxRates = input.taxRates ?? [];

  // 1–2. Lines and subtotal.
  const lineAmounts = input.lines.map((line, i) => {
    const unit = requireNonNegativeAmount(line.unitAmount, currency, `lines[${i}][unit_amount]`);
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 0) {
      throw new PricingError(`lines[${i}][quantity] must be a non-negative integer`, `lines[${i}][quantity]`);
    }
    return multiplyMoney(unit, line.quantity);
  });
  const subtotal = sumMoney(lineAmounts, currency);

  // 3. Discounts, each on the running discounted amounts, allocated across lines.
  let remaining = lineAmounts;
  const discountTotals: DiscountTotals[] = discounts.map((discount, d) => {
    const left = sumMoney(remaining, currency);
    let amount: Money;
    if (discount.type === 'percentage') {
      amount = scaleHalfUp(left, requirePpm(discount.ratePpm, `discounts[${d}][percent_off]`), PPM_PER_WHOLE);
    } else {
      amount = minOf(requireNonNegativeAmount(discount.amount, currency, `discounts[${d}][amount_off]`), left);
    }
    const shares = allocateProportionally(amount, remaining.map((m) => m.amount));
    remaining = remaining.map((m, i) => subtractMoney(m, shares[i]!));
    return { amount: amount.amount, lineAmounts: shares.map((s) => s.amount) };
  });
  const discountedLines = remaining;
  const discountedSubtotal = sumMoney(discountedLines, currency);
  const discountTotal = subtractMoney(subtotal, discountedSubtotal);

  // 4. Fees.
  const feeAmounts = fees.map((fee, f) =>
    fee.type === 'percentage'
      ? scaleHalfUp(discountedSubtotal, requirePpm(fee.ratePpm, `fees[${f}][percentage]`), PPM_PER_WHOLE)
      : requireNonNegativeAmount(fee.amount, currency, `fees[${f}][amount]`),
  );
  const feeTotal = sumMoney(feeAmounts, currency);

  // 5. Taxes on the base of discounted lines and taxable fees.
  const taxedItems = [...discountedLines, ...fees.map((fee, f) => (fee.taxable ? feeAmounts[f]! : zero))];
  const base = sumMoney(taxedItems, currency);
  taxRates.forEach((rate, t) => requirePpm(rate.ratePpm, `tax_rates[${t}][percentage]`));
  const inclusivePpm = taxRates.filter((r) => r.inclusive).reduce((sum, r) => sum + r.ratePpm, 0);
  const inclusiveAmounts = taxRates.map((rate) => (rate.inclusive ? scaleHalfUp(base, rate.ratePpm, PPM_PER_WHOLE + inclusivePpm) : zero));
  const inclusiveTaxTotal = sumMoney(inclusiveAmounts, currency);
  const netBase = subtractMoney(base, inclusiveTaxTotal);
  const taxAmounts = taxRates.map((rate, t) => (rate.inclusive ? inclusiveAmounts[t]! : scaleHalfUp(netBase, rate.ratePpm, PPM_PER_WHOLE)));
  const exclusiveTaxTotal = subtractMoney(sumMoney(taxAmounts, currency), inclusiveTaxTotal);
  // Per item and rate: items[k][t].
  const itemWeights = taxedItems.map((m) => m.amount);
  const taxShares = taxAmounts.map((tax) => allocateProportionally(tax, itemWeights).map((m) => m.amount));
  const itemTax = (k: number) => taxShares.map((shares) => shares[k]!);

  const taxTotal = addMoney(inclusiveTaxTotal, exclusiveTaxTotal);
  // 6. Total.
  const total = addMoney(addMoney(discountedSubtotal, feeTotal), exclusiveTaxTotal);

  return {
    currency,
    lines: lineAmounts.map((amount, i) => ({
      amount: amount.amount,
      discountAmount: subtractMoney(amount, discountedLines[i]!).amount,
      discountedAmount: discountedLines[i]!.amount,
      taxAmounts: itemTax(i),
    })),
    discounts: discountTotals,
    fees: fees.map((fee, f) => ({ amount: feeAmounts[f]!.amount, taxable: fee.taxable, taxAmounts: itemTax(lineAmounts.length + f) })),
    taxes: taxRates.map((rate, t) => ({
      displayName: rate.displayName,
      ratePpm: rate.ratePpm,
      inclusive: rate.inclusive,
      taxableAmount: netBase.amount,
      amount: taxAmounts[t]!.amount,
    })),
    subtotal: subtotal.amount,
    discountTotal: discountTotal.amount,
    discountedSubtotal: discountedSubtotal.amount,
    feeTotal: feeTotal.amount,
    taxTotal: taxTotal.amount,
    inclusiveTaxTotal: inclusiveTaxTotal.amount,
    exclusiveTaxTotal: exclusiveTaxTotal.amount,
    total: total.amount,
  };
}
