/**
 * Pricing a draft invoice against real PostgreSQL: catalog prices resolved, discounts, fees and taxes
 * priced exactly, terms and currency checked, and each refusal naming the request field.
 */
import { openDatabase, type MikroORM } from '../../../db/orm';
import { Price } from '../../../db/entities';
import { RuleViolation } from '../../../domain/rule-violation';
import { priceDraft, priceNewDraft, resolveTerms } from '../../../services/invoices/draft-pricing';
import { requireEnv } from '../../support/env';
import { createCustomer, createRecurringPrice } from '../../support/fixtures';

let orm: MikroORM;
beforeAll(async () => {
  orm = await openDatabase(requireEnv('DATABASE_URL'));
});
afterAll(async () => {
  await orm?.close(true);
});

async function refusal(run: () => unknown) {
  const err = await Promise.resolve()
    .then(run)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(RuleViolation);
  const v = err as RuleViolation;
  return { code: v.code, kind: v.kind, param: v.param, message: v.message };
}

describe('priceNewDraft', () => {
  it('prices catalog and free-text lines with a discount, a fee and a tax, in the customer currency', async () => {
    const customer = await createCustomer(orm, { currency: 'EUR' });
    const price = await createRecurringPrice(orm, { unitAmount: 1000, currency: 'EUR' });
    const draft = await priceNewDraft(orm.em.fork(), {
      customer: customer.id,
      lines: [{ price: price.id, quantity: 2 }, { description: 'Onboarding', unit_amount: 500 }],
      discounts: [{ percent_off: '10' }],
      fees: [{ description: 'Handling', amount: 150, taxable: true }],
      tax_rates: [{ display_name: 'VAT', percentage: '20' }],
    });
    expect(draft.currency).toBe('EUR');
    expect(draft.collectionMethod).toBe('send_invoice');
    expect(draft.terms).toEqual({ paymentTerms: 'net_30', dueDate: null });
    expect(draft.priced.lines.map((l) => [l.description, l.priceId, l.unitAmount, l.quantity])).toEqual([
      ['Pro plan', price.id, 1000, 2],
      ['Onboarding', null, 500, 1],
    ]);
    // 2500 − 10 % = 2250; + 150 fee = 2400; + 20 % VAT on it = 480.
    expect(draft.priced.totals).toMatchObject({ subtotal: 2500, discountTotal: 250, feeTotal: 150, exclusiveTaxTotal: 480, total: 2880 });
  });

  it('refuses a missing customer, another currency, and a price in another currency or inactive', async () => {
    expect(await refusal(() => priceNewDraft(orm.em.fork(), { customer: 'cus_missing', lines: [{ description: 'x', unit_amount: 1 }] }))).toEqual({
      code: 'resource_missing',
      kind: 'invalid',
      param: 'customer',
      message: "No such customer: 'cus_missing'",
    });
    const customer = await createCustomer(orm, { currency: 'USD' });
    expect(await refusal(() => priceNewDraft(orm.em.fork(), { customer: customer.id, currency: 'eur', lines: [{ description: 'x', unit_amount: 1 }] }))).toMatchObject({
      code: 'currency_mismatch',
      kind: 'unprocessable',
      param: 'currency',
    });
    const euros = await createRecurringPrice(orm, { currency: 'EUR' });
    expect(await refusal(() => priceNewDraft(orm.em.fork(), { customer: customer.id, lines: [{ price: euros.id }] }))).toMatchObject({
      code: 'currency_mismatch',
      param: 'lines[0][price]',
    });
    const retired = await createRecurringPrice(orm);
    await orm.em.fork().nativeUpdate(Price, { id: retired.id }, { active: false });
    expect(await refusal(() => priceNewDraft(orm.em.fork(), { customer: customer.id, lines: [{ price: retired.id }] }))).toEqual({
      code: 'price_inactive',
      kind: 'unprocessable',
      param: 'lines[0][price]',
      message: `Price ${retired.id} is not active.`,
    });
  });
});

describe('priceDraft', () => {
  it('refuses a line with neither price nor amount, a discount with both kinds, a percentage over 100, and amounts too large', async () => {
    const em = orm.em.fork();
    expect(await refusal(() => priceDraft(em, { lines: [{ description: 'x' }] }, 'USD'))).toMatchObject({ code: 'parameter_missing', param: 'lines[0][price]' });
    expect(await refusal(() => priceDraft(em, { lines: [{ description: 'x', unit_amount: 1 }], discounts: [{ percent_off: '5', amount_off: 5 }] }, 'USD'))).toMatchObject({
      param: 'discounts[0]',
    });
    expect(await refusal(() => priceDraft(em, { lines: [{ description: 'x', unit_amount: 1 }], tax_rates: [{ display_name: 'T', percentage: '150' }] }, 'USD'))).toEqual({
      code: 'parameter_invalid',
      kind: 'invalid',
      param: 'tax_rates[0][percentage]',
      message: 'tax_rates[0][percentage] must be between 0 and 100, got 150',
    });
    const huge = { description: 'x', unit_amount: Number.MAX_SAFE_INTEGER };
    expect(await refusal(() => priceDraft(em, { lines: [huge, huge] }, 'USD'))).toMatchObject({ code: 'amount_too_large', kind: 'unprocessable', param: undefined });
  });
});

describe('resolveTerms', () => {
  const now = new Date('2026-03-01T00:00:00Z');

  it('defaults by collection method and takes a custom due date', () => {
    expect(resolveTerms(undefined, undefined, 'charge_automatically', now)).toEqual({ paymentTerms: 'due_on_receipt', dueDate: null });
    expect(resolveTerms(undefined, '2026-04-01T00:00:00Z', 'send_invoice', now)).toEqual({ paymentTerms: 'custom', dueDate: new Date('2026-04-01T00:00:00Z') });
  });

  it('refuses a due date with other terms, in the past, or custom terms without one', async () => {
    expect((await refusal(() => resolveTerms('net_30', '2026-04-01T00:00:00Z', 'send_invoice', now))).message).toBe('due_date goes with payment_terms=custom, not net_30.');
    expect((await refusal(() => resolveTerms('custom', '2026-02-01T00:00:00Z', 'send_invoice', now))).message).toBe('due_date must be in the future.');
    expect(await refusal(() => resolveTerms('custom', undefined, 'send_invoice', now))).toMatchObject({ code: 'parameter_missing', param: 'due_date' });
  });
});
