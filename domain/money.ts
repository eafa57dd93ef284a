// Money as integer minor units of an ISO 4217 currency. Arithmetic goes through dinero.js so that
// nothing here rounds by hand; this module only validates, and converts to and from a plain,
// JSON-serialisable `Money` that can cross workflow, activity and database boundaries.
import * as dineroExports from 'dinero.js';
import { add, allocate, dinero, multiply, subtract, toSnapshot } from 'dinero.js';
import type { Dinero, DineroCurrency } from 'dinero.js';
import { Refusal } from './rule-violation';

export type Money = { amount: number; currency: string };

/** An amount or currency money cannot hold (422 `money_invalid`; callers that know the field name it). */
export class MoneyError extends Refusal {
  override name = 'MoneyError';
  constructor(message: string) {
    super('money_invalid', message);
  }
}

// Caps the array an allocation builds, so a bad request can't exhaust a workflow worker's memory.
export const MAX_ALLOCATION_PARTS = 10_000;

function isDineroCurrency(value: unknown): value is DineroCurrency<number> {
  return typeof value === 'object' && value !== null && 'code' in value && 'exponent' in value && 'base' in value;
}

// The root of dinero.js exports every ISO 4217 currency. We read them from there because the tidier
// 'dinero.js/currencies' subpath is invisible to TypeScript's node10 module resolution (tsconfig).
// Only base-10 currencies are supported: MGA and MRU divide into fifths, which a decimal minor unit
// (and so an invoice line or a Stripe amount) cannot express.
const rootExports: readonly unknown[] = Object.values(dineroExports);
const CURRENCIES: ReadonlyMap<string, DineroCurrency<number>> = new Map(
  rootExports
    .filter(isDineroCurrency)
    .filter((currency) => currency.base === 10)
    .map((currency) => [currency.code, currency]),
);

/** Upper-case ISO 4217 codes money() accepts, sorted (e.g. for an API schema enum). */
export const SUPPORTED_CURRENCIES: readonly string[] = [...CURRENCIES.keys()].sort();

function lookUpCurrency(code: string): DineroCurrency<number> | undefined {
  return typeof code === 'string' ? CURRENCIES.get(code.toUpperCase()) : undefined;
}

/** Case-insensitive, so Stripe-style lower-case codes ("usd") are accepted. */
export function isSupportedCurrency(code: string): boolean {
  return lookUpCurrency(code) !== undefined;
}

function requireCurrency(code: string): DineroCurrency<number> {
  const currency = lookUpCurrency(code);
  if (!currency) throw new MoneyError(`Unsupported currency "${String(code)}": expected an ISO 4217 code such as USD, EUR or JPY`);
  return currency;
}

/** Number of decimal places of the minor unit: JPY 0, USD 2, KWD 3. */
export function currencyExponent(code: string): number {
  return requireCurrency(code).exponent;
}

function requireSafeInteger(amount: number, what: string): number {
  if (!Number.isSafeInteger(amount)) {
    throw new MoneyError(`${what} must be a safe integer number of minor units (e.g. cents), got ${String(amount)}`);
  }
  // -0 would survive structural equality checks in tests yet serialise as 0; keep one zero.
  return amount === 0 ? 0 : amount;
}

/** Builds a validated Money; the currency code is normalised to upper case. */
export function money(amount: number, currency: string): Money {
  const { code } = requireCurrency(currency);
  return { amount: requireSafeInteger(amount, 'Amount'), currency: code };
}

function toDinero(m: Money): Dinero<number> {
  const { amount, currency } = money(m.amount, m.currency);
  return dinero({ amount, currency: requireCurrency(currency) });
}

function fromDinero(d: Dinero<number>, operation: string): Money {
  const { amount, currency } = toSnapshot(d);
  // dinero.js computes with plain numbers and silently loses precision past 2^53.
  return { amount: requireSafeInteger(amount, `Result of ${operation}`), currency: currency.code };
}

function requireSameCurrency(a: Money, b: Money, operation: string): void {
  if (requireCurrency(a.currency).code !== requireCurrency(b.currency).code) {
    throw new MoneyError(`Cannot ${operation} ${a.currency} and ${b.currency}: currencies differ`);
  }
}

export function addMoney(a: Money, b: Money): Money {
  requireSameCurrency(a, b, 'add');
  return fromDinero(add(toDinero(a), toDinero(b)), 'addition');
}

export function subtractMoney(a: Money, b: Money): Money {
  requireSameCurrency(a, b, 'subtract');
  return fromDinero(subtract(toDinero(a), toDinero(b)), 'subtraction');
}

export function multiplyMoney(m: Money, quantity: number): Money {
  requireSafeInteger(quantity, 'Quantity');
  return fromDinero(multiply(toDinero(m), quantity), 'multiplication');
}

/** Total of a list in one currency; an empty list is zero of that currency. */
export function sumMoney(list: readonly Money[], currency: string): Money {
  return list.reduce((total, item) => addMoney(total, item), money(0, currency));
}

/**
 * Splits `m` in proportion to integer `ratios` (weights; use basis points for percentages).
 * The parts always sum exactly to `m`. Minor units left over after the proportional split go one at
 * a time to the parts with the largest ratio, earlier parts first on ties (dinero.js's rule); for a
 * negative amount the leftover is negative and follows the same order. A zero ratio gets zero.
 */
export function allocateMoney(m: Money, ratios: readonly number[]): Money[] {
  const total = toDinero(m);
  if (ratios.length === 0 || ratios.length > MAX_ALLOCATION_PARTS) {
    throw new MoneyError(`Allocation needs between 1 and ${MAX_ALLOCATION_PARTS} ratios, got ${ratios.length}`);
  }
  for (const ratio of ratios) {
    if (!Number.isSafeInteger(ratio) || ratio < 0) {
      throw new MoneyError(`Allocation ratios must be non-negative integers, got ${String(ratio)}`);
    }
  }
  const ratioSum = ratios.reduce((sum, ratio) => sum + ratio, 0);
  if (ratioSum === 0) throw new MoneyError('Allocation needs at least one ratio greater than zero');
  // dinero.js computes each share as amount * ratio / sum in floating point: beyond 2^53 a share
  // could round up and the parts would no longer add up to the total.
  if ((Math.abs(m.amount) + 1) * ratioSum > Number.MAX_SAFE_INTEGER) {
    throw new MoneyError(`Cannot allocate ${m.amount} ${m.currency} by ratios summing to ${ratioSum} without losing precision`);
  }
  return allocate(total, ratios).map((part) => fromDinero(part, 'allocation'));
}

/** Splits `m` into `parts` equal instalments; the first parts carry one extra minor unit each when it doesn't divide. */
export function splitMoneyEvenly(m: Money, parts: number): Money[] {
  if (!Number.isSafeInteger(parts) || parts < 1 || parts > MAX_ALLOCATION_PARTS) {
    throw new MoneyError(`Number of parts must be an integer between 1 and ${MAX_ALLOCATION_PARTS}, got ${String(parts)}`);
  }
  return allocateMoney(m, new Array<number>(parts).fill(1));
}

// Builds the exact decimal from the integer digits, so no float division can misround large amounts.
function toDecimalString(amount: number, exponent: number): string {
  const digits = Math.abs(amount).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${amount < 0 ? '-' : ''}${whole}${exponent > 0 ? `.${fraction}` : ''}`;
}

// Intl formats decimal strings exactly (Intl.NumberFormat v3, in Node 20 and every V8 we run in);
// TypeScript's ES2022 lib only declares number | bigint, so widen the type here and nowhere else.
type DecimalFormatter = { format(value: string): string };

/**
 * Formatters by locale and currency: building one is most of formatMoney's cost (a page shows a dozen
 * amounts). Only immutable formatters are kept, so the cache changes no result; it is bounded by the
 * locales and currencies actually used.
 */
const formatters = new Map<string, DecimalFormatter>();

function formatterFor(locale: string, currency: string, exponent: number): DecimalFormatter {
  const key = `${locale}|${currency}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    try {
      formatter = new Intl.NumberFormat(locale, {
        style: 'currency',
        currency,
        minimumFractionDigits: exponent,
        maximumFractionDigits: exponent,
      }) as unknown as DecimalFormatter;
    } catch (error) {
      throw new MoneyError(`Cannot format money for locale "${locale}": ${(error as Error).message}`);
    }
    formatters.set(key, formatter);
  }
  return formatter;
}

/** Human-readable amount for emails and PDFs: "$12.34", "¥500", "KWD 1.234". */
export function formatMoney(m: Money, locale = 'en-US'): string {
  const { amount, currency } = money(m.amount, m.currency);
  const exponent = currencyExponent(currency);
  const formatter = formatterFor(locale, currency, exponent);
  return formatter.format(toDecimalString(amount, exponent));
}
