import fc from 'fast-check';
import {
  MAX_ALLOCATION_PARTS,
  MoneyError,
  SUPPORTED_CURRENCIES,
  addMoney,
  allocateMoney,
  currencyExponent,
  formatMoney,
  isSupportedCurrency,
  money,
  multiplyMoney,
  splitMoneyEvenly,
  subtractMoney,
  sumMoney,
} from '../../../domain/money';
import * as domain from '../../../domain';

const usd = (amount: number) => money(amount, 'USD');
const amounts = (parts: { amount: number }[]) => parts.map((part) => part.amount);
// Intl separates symbol and digits with various Unicode spaces (NBSP, narrow NBSP).
const plainSpaces = (text: string) => text.replace(/\s/gu, ' ');

describe('currencies', () => {
  it('knows ISO 4217 exponents, including zero- and three-decimal currencies', () => {
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('EUR')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KRW')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expect(currencyExponent('BHD')).toBe(3);
    expect(currencyExponent('CLF')).toBe(4);
  });

  it('accepts codes case-insensitively and rejects unknown or non-decimal currencies', () => {
    expect(isSupportedCurrency('USD')).toBe(true);
    expect(isSupportedCurrency('usd')).toBe(true);
    expect(isSupportedCurrency('XYZ')).toBe(false);
    expect(isSupportedCurrency('')).toBe(false);
    expect(isSupportedCurrency('US')).toBe(false);
    // Ariary and ouguiya divide into fifths, which a decimal minor unit cannot express.
    expect(isSupportedCurrency('MGA')).toBe(false);
    expect(isSupportedCurrency('MRU')).toBe(false);
    expect(() => currencyExponent('XYZ')).toThrow(MoneyError);
  });

  it('lists supported currencies as sorted upper-case codes', () => {
    expect(SUPPORTED_CURRENCIES).toEqual(expect.arrayContaining(['EUR', 'GBP', 'JPY', 'KWD', 'USD']));
    expect(SUPPORTED_CURRENCIES.length).toBeGreaterThan(150);
    expect([...SUPPORTED_CURRENCIES].sort()).toEqual(SUPPORTED_CURRENCIES);
    for (const code of SUPPORTED_CURRENCIES) expect(code).toMatch(/^[A-Z]{3}$/);
    expect(SUPPORTED_CURRENCIES).not.toContain('MGA');
  });
});

describe('money()', () => {
  it('builds a plain serialisable value with an upper-case code', () => {
    const price = money(1999, 'eur');
    expect(price).toEqual({ amount: 1999, currency: 'EUR' });
    expect(JSON.parse(JSON.stringify(price))).toEqual(price);
  });

  it('allows negative amounts (credits, refunds) and normalises -0 to 0', () => {
    expect(money(-500, 'USD').amount).toBe(-500);
    expect(Object.is(money(-0, 'USD').amount, 0)).toBe(true);
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1])('rejects %p as an amount', (amount) => {
    expect(() => money(amount, 'USD')).toThrow(MoneyError);
    expect(() => money(amount, 'USD')).toThrow(/minor units/);
  });

  it('rejects unknown currencies with a message naming the code', () => {
    expect(() => money(100, 'ABC')).toThrow(MoneyError);
    expect(() => money(100, 'ABC')).toThrow('Unsupported currency "ABC"');
  });

  it('is exported from the domain barrel', () => {
    expect(domain.money(1, 'JPY')).toEqual({ amount: 1, currency: 'JPY' });
    expect(domain.MoneyError).toBe(MoneyError);
  });
});

describe('arithmetic', () => {
  it('adds and subtracts amounts of the same currency', () => {
    expect(addMoney(usd(1050), usd(250))).toEqual(usd(1300));
    expect(subtractMoney(usd(1050), usd(2000))).toEqual(usd(-950));
    expect(addMoney(money(500, 'JPY'), { amount: 1, currency: 'jpy' })).toEqual(money(501, 'JPY'));
  });

  it('refuses to mix currencies', () => {
    expect(() => addMoney(usd(100), money(100, 'EUR'))).toThrow(MoneyError);
    expect(() => addMoney(usd(100), money(100, 'EUR'))).toThrow('Cannot add USD and EUR');
    expect(() => subtractMoney(usd(100), money(100, 'JPY'))).toThrow('Cannot subtract USD and JPY');
  });

  it('validates money that arrives as plain objects', () => {
    expect(() => addMoney(usd(1), { amount: 0.5, currency: 'USD' })).toThrow(MoneyError);
    expect(() => addMoney(usd(1), { amount: 1, currency: 'XXX' })).toThrow(MoneyError);
  });

  it('multiplies by an integer quantity', () => {
    expect(multiplyMoney(usd(1999), 3)).toEqual(usd(5997));
    expect(multiplyMoney(money(1234, 'KWD'), 0)).toEqual(money(0, 'KWD'));
    expect(Object.is(multiplyMoney(usd(0), -3).amount, 0)).toBe(true);
    expect(() => multiplyMoney(usd(1999), 1.5)).toThrow(MoneyError);
  });

  it('throws instead of silently losing precision past 2^53', () => {
    expect(() => multiplyMoney(usd(2 ** 52), 3)).toThrow(MoneyError);
    expect(() => addMoney(usd(Number.MAX_SAFE_INTEGER), usd(1))).toThrow(MoneyError);
  });

  it('sums a list, treating an empty list as zero', () => {
    expect(sumMoney([], 'JPY')).toEqual(money(0, 'JPY'));
    expect(sumMoney([usd(100), usd(250), usd(-50)], 'usd')).toEqual(usd(300));
    expect(() => sumMoney([usd(100), money(1, 'EUR')], 'USD')).toThrow(MoneyError);
    expect(() => sumMoney([usd(100)], 'EUR')).toThrow(MoneyError);
  });

  it('sums any list of safe amounts exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e12, max: 1e12 }), { maxLength: 50 }), (list) => {
        const expected = list.reduce((total, amount) => total + BigInt(amount), 0n);
        expect(BigInt(sumMoney(list.map(usd), 'USD').amount)).toBe(expected);
      }),
    );
  });
});

describe('allocateMoney', () => {
  it('splits 100 into 3 as 34/33/33', () => {
    expect(amounts(allocateMoney(usd(100), [1, 1, 1]))).toEqual([34, 33, 33]);
  });

  it('gives leftover minor units to the largest ratios first, then to earlier parts', () => {
    expect(amounts(allocateMoney(usd(10), [1, 3, 1, 3]))).toEqual([1, 4, 1, 4]);
    expect(amounts(allocateMoney(usd(11), [1, 3, 1, 3]))).toEqual([1, 5, 1, 4]);
  });

  it('gives nothing to a zero ratio', () => {
    expect(amounts(allocateMoney(usd(100), [0, 1, 1]))).toEqual([0, 50, 50]);
  });

  it('allocates by percentages expressed in basis points', () => {
    expect(amounts(allocateMoney(money(100_000, 'JPY'), [2_500, 7_500]))).toEqual([25_000, 75_000]);
  });

  it('allocates negative amounts symmetrically', () => {
    expect(amounts(allocateMoney(usd(-100), [1, 1, 1]))).toEqual([-34, -33, -33]);
  });

  it('keeps the currency on every part', () => {
    for (const part of allocateMoney(money(1001, 'kwd'), [1, 2])) expect(part.currency).toBe('KWD');
  });

  it.each([
    [[], /between 1 and/],
    [[1, -1], /non-negative integers/],
    [[0.5, 0.5], /non-negative integers/],
    [[0, 0], /greater than zero/],
  ])('rejects ratios %p', (ratios, message) => {
    expect(() => allocateMoney(usd(100), ratios)).toThrow(MoneyError);
    expect(() => allocateMoney(usd(100), ratios)).toThrow(message);
  });

  it('refuses allocations that floating point could not compute exactly', () => {
    expect(() => allocateMoney(usd(Number.MAX_SAFE_INTEGER), [1, 1])).toThrow(/losing precision/);
  });

  it('always sums exactly to the total, never goes negative and stays within one unit of the exact share', () => {
    const ratiosArb = fc
      .array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 60 })
      .filter((ratios) => ratios.some((ratio) => ratio > 0));
    fc.assert(
      fc.property(fc.constantFrom(...SUPPORTED_CURRENCIES), fc.integer({ min: 0, max: 1e10 }), ratiosArb, (currency, amount, ratios) => {
        const parts = allocateMoney(money(amount, currency), ratios);
        const ratioSum = BigInt(ratios.reduce((sum, ratio) => sum + ratio, 0));
        expect(parts).toHaveLength(ratios.length);
        expect(parts.reduce((total, part) => total + BigInt(part.amount), 0n)).toBe(BigInt(amount));
        parts.forEach((part, i) => {
          const ratio = BigInt(ratios[i] ?? 0);
          const floorShare = (BigInt(amount) * ratio) / ratioSum;
          expect(part.currency).toBe(currency);
          expect(part.amount).toBeGreaterThanOrEqual(0);
          expect(Number.isSafeInteger(part.amount)).toBe(true);
          expect(BigInt(part.amount) - floorShare).toBeGreaterThanOrEqual(0n);
          expect(BigInt(part.amount) - floorShare).toBeLessThanOrEqual(ratio === 0n ? 0n : 1n);
        });
      }),
    );
  });
});

describe('splitMoneyEvenly', () => {
  it('splits zero-decimal currencies in whole units', () => {
    expect(splitMoneyEvenly(money(1000, 'JPY'), 3)).toEqual([money(334, 'JPY'), money(333, 'JPY'), money(333, 'JPY')]);
  });

  it('puts the extra minor units on the first instalments', () => {
    expect(amounts(splitMoneyEvenly(usd(7), 10))).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(amounts(splitMoneyEvenly(usd(1000), 4))).toEqual([250, 250, 250, 250]);
  });

  it.each([0, -1, 2.5, MAX_ALLOCATION_PARTS + 1])('rejects %p parts', (parts) => {
    expect(() => splitMoneyEvenly(usd(100), parts)).toThrow(MoneyError);
  });

  it('keeps the total for any amount, currency and number of parts, earlier parts never smaller', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SUPPORTED_CURRENCIES),
        fc.integer({ min: -1e12, max: 1e12 }),
        fc.integer({ min: 1, max: 360 }),
        (currency, amount, count) => {
          const parts = amounts(splitMoneyEvenly(money(amount, currency), count));
          expect(parts).toHaveLength(count);
          expect(parts.reduce((total, part) => total + part, 0)).toBe(amount);
          const magnitudes = parts.map(Math.abs);
          expect(Math.max(...magnitudes) - Math.min(...magnitudes)).toBeLessThanOrEqual(1);
          magnitudes.forEach((magnitude, i) => {
            if (i > 0) expect(magnitude).toBeLessThanOrEqual(magnitudes[i - 1] ?? Infinity);
          });
          if (amount >= 0) for (const part of parts) expect(part).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe('formatMoney', () => {
  it('uses the currency exponent', () => {
    expect(formatMoney(usd(1234))).toBe('$12.34');
    expect(formatMoney(usd(5))).toBe('$0.05');
    expect(formatMoney(usd(-5))).toBe('-$0.05');
    expect(formatMoney(usd(100))).toBe('$1.00');
    expect(formatMoney(money(500, 'JPY'))).toBe('¥500');
    expect(plainSpaces(formatMoney(money(1234, 'KWD')))).toBe('KWD 1.234');
    expect(plainSpaces(formatMoney(money(7, 'KWD')))).toBe('KWD 0.007');
  });

  it('formats for the requested locale', () => {
    expect(plainSpaces(formatMoney(money(123_450, 'EUR'), 'fr-FR'))).toBe('1 234,50 €');
    expect(formatMoney(money(123_450, 'EUR'), 'de-DE').replace(/\s/gu, ' ')).toBe('1.234,50 €');
  });

  it('formats the largest safe amount without float rounding', () => {
    expect(formatMoney(usd(Number.MAX_SAFE_INTEGER))).toBe('$90,071,992,547,409.91');
    expect(formatMoney(money(Number.MAX_SAFE_INTEGER, 'KWD'))).toMatch(/9,007,199,254,740\.991$/);
  });

  it('rejects invalid input with MoneyError', () => {
    expect(() => formatMoney(usd(100), 'not a locale!')).toThrow(MoneyError);
    expect(() => formatMoney({ amount: 1.5, currency: 'USD' })).toThrow(MoneyError);
  });

  it('shows exactly the digits of the amount for any currency', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SUPPORTED_CURRENCIES), fc.maxSafeInteger(), (currency, amount) => {
        const formatted = formatMoney(money(amount, currency));
        const digits = formatted.replace(/\D/g, '');
        expect(BigInt(digits)).toBe(BigInt(Math.abs(amount)));
        // Every minor-unit digit is shown: at least exponent + 1 digits.
        expect(digits.length).toBeGreaterThanOrEqual(currencyExponent(currency) + 1);
        expect(formatted.startsWith('-')).toBe(amount < 0);
      }),
    );
  });
});
