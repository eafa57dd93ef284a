import fc from 'fast-check';
import {
  PPM_PER_WHOLE,
  PricingError,
  allocateProportionally,
  computeInvoiceTotals,
  formatPercentage,
  parsePercentage,
  type DiscountInput,
  type FeeInput,
  type InvoiceTotalsInput,
  type TaxRateInput,
} from '../../../domain/pricing';
import { MoneyError } from '../../../domain/money';

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe('percentages', () => {
  it('parses decimal strings into exact millionths', () => {
    expect(parsePercentage('20')).toBe(200_000);
    expect(parsePercentage('8.875')).toBe(88_750);
    expect(parsePercentage('0.0001')).toBe(1);
    expect(parsePercentage('100')).toBe(PPM_PER_WHOLE);
    expect(parsePercentage('0')).toBe(0);
    // 0.1 + 0.2 style float error is impossible: 33.3333 is exactly 333 333 ppm.
    expect(parsePercentage('33.3333')).toBe(333_333);
  });

  it('refuses anything that is not 0–100 with at most 4 decimals, naming the field', () => {
    for (const bad of ['100.0001', '101', '-1', '1e2', '8.87501', '.5', '5.', ' 5', '', 'NaN', '0x10']) {
      expect(() => parsePercentage(bad, 'tax_rates[0][percentage]')).toThrow(PricingError);
    }
    try {
      parsePercentage('150', 'tax_rates[2][percentage]');
    } catch (err) {
      expect((err as PricingError).param).toBe('tax_rates[2][percentage]');
    }
  });

  it('formats back to the shortest exact string', () => {
    expect(formatPercentage(88_750)).toBe('8.875');
    expect(formatPercentage(200_000)).toBe('20');
    expect(formatPercentage(1)).toBe('0.0001');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: PPM_PER_WHOLE }), (ppm) => {
        expect(parsePercentage(formatPercentage(ppm))).toBe(ppm);
      }),
    );
  });
});

describe('computeInvoiceTotals: worked examples', () => {
  it('applies discounts, fees and inclusive and exclusive taxes in the documented order', () => {
    const totals = computeInvoiceTotals({
      currency: 'USD',
      lines: [
        { unitAmount: 1000, quantity: 3 },
        { unitAmount: 333, quantity: 1 },
      ],
      discounts: [
        { type: 'percentage', ratePpm: parsePercentage('10') },
        { type: 'fixed_amount', amount: 100 },
      ],
      fees: [
        { type: 'fixed_amount', amount: 500, taxable: true, description: 'Shipping' },
        { type: 'percentage', ratePpm: parsePercentage('2.5'), taxable: false, description: 'Card surcharge' },
      ],
      taxRates: [
        { displayName: 'VAT', ratePpm: parsePercentage('20'), inclusive: true },
        { displayName: 'NY sales tax', ratePpm: parsePercentage('8.875'), inclusive: false },
      ],
    });
    expect(totals.subtotal).toBe(3333);
    // 10 % of 3333 = 333.3 → 333; then 100 off the remaining 3000.
    expect(totals.discounts.map((d) => d.amount)).toEqual([333, 100]);
    expect(totals.discountTotal).toBe(433);
    expect(totals.discountedSubtotal).toBe(2900);
    // 2.5 % of 2900 = 72.5 → 73 (half-up).
    expect(totals.fees.map((f) => f.amount)).toEqual([500, 73]);
    // Base 2900 + 500 taxable fee = 3400; VAT inside it: 3400 × 0.2 / 1.2 = 566.67 → 567.
    // Net 2833 × 8.875 % = 251.43 → 251 on top. Both rates are levied on the net 2833.
    expect(totals.taxes).toEqual([
      { displayName: 'VAT', ratePpm: 200_000, inclusive: true, taxableAmount: 2833, amount: 567 },
      { displayName: 'NY sales tax', ratePpm: 88_750, inclusive: false, taxableAmount: 2833, amount: 251 },
    ]);
    expect(totals.taxTotal).toBe(818);
    expect(totals.total).toBe(2900 + 573 + 251);
    expect(totals.lines.map((l) => l.discountAmount)).toEqual([390, 43]);
    expect(totals.fees[1]!.taxAmounts).toEqual([0, 0]);
  });

  it('reports the net base as an inclusive tax’s taxable amount, not the gross', () => {
    // 10.00 gross with 20 % VAT inside: 10.00 × 20/120 = 1.666… → 1.67 tax, on a base of 8.33.
    const totals = computeInvoiceTotals({
      currency: 'EUR',
      lines: [{ unitAmount: 1000, quantity: 1 }],
      taxRates: [{ displayName: 'VAT', ratePpm: parsePercentage('20'), inclusive: true }],
    });
    expect(totals.taxes).toEqual([{ displayName: 'VAT', ratePpm: 200_000, inclusive: true, taxableAmount: 833, amount: 167 }]);
    expect(totals.total).toBe(1000);
  });

  it('rounds half-up in a zero-decimal currency', () => {
    // ¥1,005 at 10 % = 100.5 → 101.
    const totals = computeInvoiceTotals({
      currency: 'JPY',
      lines: [{ unitAmount: 1005, quantity: 1 }],
      taxRates: [{ displayName: '消費税', ratePpm: parsePercentage('10'), inclusive: false }],
    });
    expect(totals.taxTotal).toBe(101);
    expect(totals.total).toBe(1106);
  });

  it('caps a fixed discount at what is left and never goes negative', () => {
    const totals = computeInvoiceTotals({
      currency: 'EUR',
      lines: [{ unitAmount: 500, quantity: 2 }],
      discounts: [
        { type: 'fixed_amount', amount: 800 },
        { type: 'fixed_amount', amount: 800 },
        { type: 'percentage', ratePpm: PPM_PER_WHOLE },
      ],
      taxRates: [{ displayName: 'VAT', ratePpm: parsePercentage('19'), inclusive: false }],
    });
    expect(totals.discounts.map((d) => d.amount)).toEqual([800, 200, 0]);
    expect(totals.total).toBe(0);
    expect(totals.taxTotal).toBe(0);
  });

  it('stays exact where a float would not: amounts near 2^53 with percentages', () => {
    const big = 9_000_000_000_000_000; // below Number.MAX_SAFE_INTEGER
    const totals = computeInvoiceTotals({
      currency: 'USD',
      lines: [
        { unitAmount: big - 1, quantity: 1 },
        { unitAmount: 1, quantity: 1 },
      ],
      discounts: [{ type: 'percentage', ratePpm: parsePercentage('33.3333') }],
    });
    // 9e15 × 0.333333 = 2 999 997 000 000 000 exactly.
    expect(totals.discountTotal).toBe(2_999_997_000_000_000);
    expect(sum(totals.discounts[0]!.lineAmounts)).toBe(totals.discountTotal);
    expect(totals.total).toBe(big - 2_999_997_000_000_000);
  });

  it('refuses totals beyond a safe integer with a MoneyError and bad input with a PricingError naming it', () => {
    expect(() =>
      computeInvoiceTotals({ currency: 'USD', lines: [{ unitAmount: Number.MAX_SAFE_INTEGER, quantity: 2 }] }),
    ).toThrow(MoneyError);
    expect(() =>
      computeInvoiceTotals({
        currency: 'USD',
        lines: [{ unitAmount: Number.MAX_SAFE_INTEGER, quantity: 1 }],
        fees: [{ type: 'fixed_amount', amount: 1, taxable: false, description: 'fee' }],
      }),
    ).toThrow(MoneyError);
    expect(() => computeInvoiceTotals({ currency: 'USD', lines: [{ unitAmount: -1, quantity: 1 }] })).toThrow(
      expect.objectContaining({ name: 'PricingError', param: 'lines[0][unit_amount]' }),
    );
    expect(() => computeInvoiceTotals({ currency: 'USD', lines: [{ unitAmount: 1.5, quantity: 1 }] })).toThrow(PricingError);
    expect(() =>
      computeInvoiceTotals({ currency: 'USD', lines: [{ unitAmount: 1, quantity: 1 }], discounts: [{ type: 'percentage', ratePpm: PPM_PER_WHOLE + 1 }] }),
    ).toThrow(expect.objectContaining({ param: 'discounts[0][percent_off]' }));
  });
});

describe('allocateProportionally', () => {
  it('splits exactly and in proportion, zero weights get nothing', () => {
    expect(allocateProportionally({ amount: 100, currency: 'USD' }, [1, 1, 1]).map((m) => m.amount)).toEqual([34, 33, 33]);
    expect(allocateProportionally({ amount: 10, currency: 'USD' }, [0, 3, 1]).map((m) => m.amount)).toEqual([0, 8, 2]);
    expect(allocateProportionally({ amount: 0, currency: 'USD' }, [0, 0]).map((m) => m.amount)).toEqual([0, 0]);
    expect(() => allocateProportionally({ amount: 1, currency: 'USD' }, [0, 0])).toThrow(MoneyError);
  });
});

// ---- properties -------------------------------------------------------------------------------

const ppm = fc.integer({ min: 0, max: PPM_PER_WHOLE });

function invoiceArbitrary(currency: string, maxUnit: number): fc.Arbitrary<InvoiceTotalsInput> {
  const line = fc.record({ unitAmount: fc.integer({ min: 0, max: maxUnit }), quantity: fc.integer({ min: 1, max: 1000 }) });
  const discount: fc.Arbitrary<DiscountInput> = fc.oneof(
    fc.record({ type: fc.constant('percentage' as const), ratePpm: ppm }),
    fc.record({ type: fc.constant('fixed_amount' as const), amount: fc.integer({ min: 0, max: maxUnit * 10 }) }),
  );
  const fee: fc.Arbitrary<FeeInput> = fc.oneof(
    fc.record({ type: fc.constant('percentage' as const), ratePpm: ppm, taxable: fc.boolean(), description: fc.constant('fee') }),
    fc.record({ type: fc.constant('fixed_amount' as const), amount: fc.integer({ min: 0, max: maxUnit }), taxable: fc.boolean(), description: fc.constant('fee') }),
  );
  const tax: fc.Arbitrary<TaxRateInput> = fc.record({ displayName: fc.constant('tax'), ratePpm: ppm, inclusive: fc.boolean() });
  return fc.record({
    currency: fc.constant(currency),
    lines: fc.array(line, { minLength: 1, maxLength: 12 }),
    discounts: fc.array(discount, { maxLength: 4 }),
    fees: fc.array(fee, { maxLength: 3 }),
    taxRates: fc.array(tax, { maxLength: 4 }),
  });
}

describe.each([
  ['JPY', 0, 10_000_000],
  ['KRW', 0, 100_000_000],
  ['USD', 2, 100_000_000],
  ['EUR', 2, 10_000_000_000],
])('computeInvoiceTotals properties in %s (%i decimals)', (currency, _decimals, maxUnit) => {
  const invoices = invoiceArbitrary(currency, maxUnit);

  it('gives integer, non-negative amounts everywhere', () => {
    fc.assert(
      fc.property(invoices, (input) => {
        const t = computeInvoiceTotals(input);
        const all = [
          t.subtotal, t.discountTotal, t.discountedSubtotal, t.feeTotal, t.taxTotal, t.inclusiveTaxTotal, t.exclusiveTaxTotal, t.total,
          ...t.lines.flatMap((l) => [l.amount, l.discountAmount, l.discountedAmount, ...l.taxAmounts]),
          ...t.discounts.flatMap((d) => [d.amount, ...d.lineAmounts]),
          ...t.fees.flatMap((f) => [f.amount, ...f.taxAmounts]),
          ...t.taxes.flatMap((x) => [x.amount, x.taxableAmount]),
        ];
        expect(all.filter((value) => !Number.isSafeInteger(value) || value < 0)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('allocates every discount and tax exactly, with no line discounted below zero', () => {
    fc.assert(
      fc.property(invoices, (input) => {
        const t = computeInvoiceTotals(input);
        expect(t.subtotal).toBe(sum(t.lines.map((l) => l.amount)));
        expect(t.discountTotal).toBe(sum(t.discounts.map((d) => d.amount)));
        expect(t.discountTotal).toBe(sum(t.lines.map((l) => l.discountAmount)));
        for (const d of t.discounts) expect(sum(d.lineAmounts)).toBe(d.amount);
        expect(t.lines.filter((l) => l.discountAmount > l.amount || l.discountedAmount !== l.amount - l.discountAmount)).toEqual([]);
        t.taxes.forEach((tax, k) => {
          const allocated = sum(t.lines.map((l) => l.taxAmounts[k]!)) + sum(t.fees.map((f) => f.taxAmounts[k]!));
          expect(allocated).toBe(tax.amount);
        });
        t.fees.forEach((f) => {
          if (!f.taxable) expect(f.taxAmounts.every((x) => x === 0)).toBe(true);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('total = subtotal − discounts + fees + exclusive taxes, and inclusive taxes are contained in it', () => {
    fc.assert(
      fc.property(invoices, (input) => {
        const t = computeInvoiceTotals(input);
        expect(t.total).toBe(t.subtotal - t.discountTotal + t.feeTotal + t.exclusiveTaxTotal);
        expect(t.taxTotal).toBe(t.inclusiveTaxTotal + t.exclusiveTaxTotal);
        expect(t.discountTotal).toBeLessThanOrEqual(t.subtotal);
        const taxedBase = t.discountedSubtotal + sum(t.fees.filter((f) => f.taxable).map((f) => f.amount));
        expect(t.inclusiveTaxTotal).toBeLessThanOrEqual(taxedBase);
        // Every rate, inclusive or not, reports the net base: the gross less the inclusive taxes in it.
        t.taxes.forEach((tax) => expect(tax.taxableAmount).toBe(taxedBase - t.inclusiveTaxTotal));
        expect(t.inclusiveTaxTotal).toBeLessThanOrEqual(t.total);
        // Each rounding is within half a minor unit of the exact rational amount.
        const inclusivePpm = sum((input.taxRates ?? []).filter((r) => r.inclusive).map((r) => r.ratePpm));
        t.taxes.forEach((tax) => {
          const denominator = BigInt(tax.inclusive ? PPM_PER_WHOLE + inclusivePpm : PPM_PER_WHOLE);
          const exact2 = (BigInt(tax.inclusive ? taxedBase : t.discountedSubtotal + sum(t.fees.filter((f) => f.taxable).map((f) => f.amount)) - t.inclusiveTaxTotal) * BigInt(tax.ratePpm) * 2n);
          const diff = BigInt(tax.amount) * denominator * 2n - exact2;
          expect(diff >= -denominator && diff <= denominator).toBe(true);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('does not depend on how the lines are ordered for the invoice-level amounts', () => {
    fc.assert(
      fc.property(invoices, (input) => {
        const a = computeInvoiceTotals(input);
        const b = computeInvoiceTotals({ ...input, lines: [...input.lines].reverse() });
        expect([b.subtotal, b.discountTotal, b.feeTotal, b.taxTotal, b.total]).toEqual([a.subtotal, a.discountTotal, a.feeTotal, a.taxTotal, a.total]);
      }),
      { numRuns: 200 },
    );
  });
});
