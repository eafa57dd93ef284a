import { createHash } from 'node:crypto';
import { canonicalJson, computeQuoteTotals, recurringGroups, requiresApproval, type QuoteContent, type QuoteLine } from '../../../domain/quote';
import { linkTokenHash, quoteContentHash } from '../../../domain/quote-hash';
import { loadConfig } from '../../../config';

const line = (id: string, unitAmount: number, quantity = 1, recurring: QuoteLine['recurring'] = null): QuoteLine => ({
  id,
  description: id,
  priceId: recurring ? `price_${id}` : null,
  unitAmount,
  quantity,
  recurring,
});
const monthly = { unit: 'month' as const, count: 1 };
const yearly = { unit: 'year' as const, count: 1 };

function content(overrides: Partial<QuoteContent> = {}): QuoteContent {
  return {
    quoteId: 'qt_1',
    version: 1,
    title: 'Rollout',
    currency: 'USD',
    customer: { id: 'cus_1', name: 'Ada', email: 'ada@example.com' },
    owner: { name: 'Sam', email: 'sam@example.com' },
    lines: [line('setup', 100_00), line('seats', 25_00, 3, monthly)],
    discounts: [],
    fees: [],
    taxRates: [],
    expiresAt: '2031-01-31T00:00:00.000Z',
    terms: null,
    notes: null,
    payment: { oneTime: 'charge_now', paymentTerms: 'due_on_receipt', schedule: null, subscriptionStartDate: null },
    signing: { order: 'sequential', signers: [{ id: 'signer_1', kind: 'customer', name: 'Ada', email: 'ada@example.com' }] },
    ...overrides,
  };
}

describe('quote totals', () => {
  test('one-time lines take the discounts, fees and taxes; recurring lines are priced per interval with the taxes only', () => {
    const totals = computeQuoteTotals(
      content({
        lines: [line('setup', 333_33), line('training', 66_67, 3), line('seats', 25_00, 3, monthly), line('support', 1_200_00, 1, yearly), line('api', 10_00, 2, monthly)],
        discounts: [{ type: 'percentage', ratePpm: 125_000, description: '12.5 %', couponId: null }],
        fees: [{ type: 'fixed_amount', amount: 15_00, taxable: true, description: 'Shipping' }],
        taxRates: [{ id: 'txr_1', displayName: 'VAT', ratePpm: 200_000, inclusive: false }],
      }),
    );
    // 333.33 + 3 × 66.67 = 533.34; 12.5 % of it = 66.6675 → 66.67 (half-up); 466.67 + 15.00 fee = 481.67; VAT 20 % = 96.334 → 96.33.
    expect(totals.oneTime).toEqual({
      subtotal: 533_34,
      discountTotal: 66_67,
      feeTotal: 15_00,
      taxTotal: 96_33,
      total: 578_00,
      discounts: [66_67],
      fees: [15_00],
      taxes: [{ displayName: 'VAT', inclusive: false, amount: 96_33 }],
    });
    expect(totals.recurring).toEqual([
      { interval: monthly, subtotal: 95_00, taxTotal: 19_00, total: 114_00 },
      { interval: yearly, subtotal: 1_200_00, taxTotal: 240_00, total: 1_440_00 },
    ]);
    // 66.67 / 533.34 = 0.125004... → 125004 ppm (rounded down).
    expect(totals.discountPpm).toBe(125_004);
  });

  test('a fixed discount is capped at the one-time subtotal and counts as 100 %', () => {
    const totals = computeQuoteTotals(content({ lines: [line('setup', 50_00)], discounts: [{ type: 'fixed_amount', amount: 80_00, description: null, couponId: null }] }));
    expect(totals.oneTime).toMatchObject({ subtotal: 50_00, discountTotal: 50_00, total: 0 });
    expect(totals.discountPpm).toBe(1_000_000);
  });

  test('a quote with only recurring lines has a zero one-time total and no discount share', () => {
    const totals = computeQuoteTotals(content({ lines: [line('seats', 25_00, 2, monthly)], discounts: [{ type: 'percentage', ratePpm: 500_000, description: null, couponId: null }] }));
    expect(totals.oneTime.total).toBe(0);
    expect(totals.discountPpm).toBe(0);
    expect(totals.recurring).toEqual([{ interval: monthly, subtotal: 50_00, taxTotal: 0, total: 50_00 }]);
  });

  test('zero-decimal currencies stay whole units', () => {
    const totals = computeQuoteTotals(
      content({ currency: 'JPY', lines: [line('setup', 10_001)], taxRates: [{ id: 'txr_jp', displayName: 'JCT', ratePpm: 100_000, inclusive: true }] }),
    );
    // Inclusive 10 %: 10001 × 0.1 / 1.1 = 909.18 → 909 yen already in the total.
    expect(totals.oneTime).toMatchObject({ subtotal: 10_001, taxTotal: 909, total: 10_001 });
  });

  test('the approval gate is strictly above the threshold', () => {
    const at = computeQuoteTotals(content({ lines: [line('x', 100_00)], discounts: [{ type: 'percentage', ratePpm: 200_000, description: null, couponId: null }] }));
    expect(at.discountPpm).toBe(200_000);
    expect(requiresApproval(at, 200_000)).toBe(false);
    expect(requiresApproval(at, 199_999)).toBe(true);
  });

  test('recurring lines are grouped by interval in order of first appearance', () => {
    const groups = recurringGroups([line('a', 1, 1, yearly), line('b', 1), line('c', 1, 1, monthly), line('d', 1, 1, yearly)]);
    expect(groups.map((g) => [g.interval.unit, g.lines.map((l) => l.id)])).toEqual([
      ['year', ['a', 'd']],
      ['month', ['c']],
    ]);
  });
});

describe('version hash', () => {
  test('canonical JSON sorts keys at every level, keeps array order and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'é' }], c: undefined } })).toBe('{"a":{"d":[3,{"y":"é","z":null}]},"b":1}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
  });

  test('the hash is the SHA-256 of the canonical JSON, whatever order the content was built in', () => {
    const c = content();
    const reordered = Object.fromEntries(Object.entries(c).reverse()) as unknown as QuoteContent;
    expect(quoteContentHash(reordered)).toBe(quoteContentHash(c));
    expect(quoteContentHash(c)).toBe(createHash('sha256').update(canonicalJson(c)).digest('hex'));
    expect(quoteContentHash(c)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('any change to what is signed changes the hash: an amount, a quantity, the expiry, the signers, the version', () => {
    const base = quoteContentHash(content());
    const variants = [
      content({ lines: [line('setup', 100_01), line('seats', 25_00, 3, monthly)] }),
      content({ lines: [line('setup', 100_00), line('seats', 25_00, 4, monthly)] }),
      content({ expiresAt: '2031-02-01T00:00:00.000Z' }),
      content({ terms: 'Net 30' }),
      content({ version: 2 }),
      content({ signing: { order: 'any', signers: content().signing.signers } }),
    ].map(quoteContentHash);
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  test('a link token is stored as its SHA-256 only', () => {
    expect(linkTokenHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('quote configuration', () => {
  const env = { DATABASE_URL: 'postgres://localhost/x' };
  test('defaults: approval above 20 %, a reminder 3 days before expiry', () => {
    expect(loadConfig(env).quotes).toEqual({ approvalThresholdPpm: 200_000, reminderDaysBefore: [3] });
  });
  test('QUOTE_APPROVAL_DISCOUNT_PERCENT and QUOTE_REMINDER_DAYS', () => {
    expect(loadConfig({ ...env, QUOTE_APPROVAL_DISCOUNT_PERCENT: '12.5', QUOTE_REMINDER_DAYS: '7, 1' }).quotes).toEqual({
      approvalThresholdPpm: 125_000,
      reminderDaysBefore: [7, 1],
    });
    expect(loadConfig({ ...env, QUOTE_REMINDER_DAYS: 'none' }).quotes.reminderDaysBefore).toEqual([]);
  });
  test('invalid values are refused at start-up', () => {
    expect(() => loadConfig({ ...env, QUOTE_APPROVAL_DISCOUNT_PERCENT: '120' })).toThrow(/QUOTE_APPROVAL_DISCOUNT_PERCENT/);
    expect(() => loadConfig({ ...env, QUOTE_REMINDER_DAYS: '3,3' })).toThrow(/QUOTE_REMINDER_DAYS/);
    expect(() => loadConfig({ ...env, QUOTE_REMINDER_DAYS: '0' })).toThrow(/QUOTE_REMINDER_DAYS/);
  });
});
