import {
  INVOICE_STATUSES,
  assertInvoiceTransition,
  canTransition,
  isFinalInvoiceStatus,
  type InvoiceStatus,
} from '../../../domain/invoice-status';
import { RuleViolation } from '../../../domain/rule-violation';

const ALLOWED: [InvoiceStatus, InvoiceStatus][] = [
  ['draft', 'open'],
  ['open', 'paid'],
  ['open', 'void'],
  ['open', 'uncollectible'],
  ['uncollectible', 'paid'],
  ['uncollectible', 'void'],
];

const allPairs = INVOICE_STATUSES.flatMap((from) => INVOICE_STATUSES.map((to) => [from, to] as [InvoiceStatus, InvoiceStatus]));
const isAllowed = (from: InvoiceStatus, to: InvoiceStatus) => ALLOWED.some(([f, t]) => f === from && t === to);

describe('invoice transitions', () => {
  it.each(allPairs)('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(isAllowed(from, to));
    if (isAllowed(from, to)) {
      expect(() => assertInvoiceTransition(from, to)).not.toThrow();
    } else {
      expect(() => assertInvoiceTransition(from, to, 'in_123')).toThrow(RuleViolation);
    }
  });

  it('paid and void are final; nothing returns to draft', () => {
    expect(isFinalInvoiceStatus('paid')).toBe(true);
    expect(isFinalInvoiceStatus('void')).toBe(true);
    expect(isFinalInvoiceStatus('uncollectible')).toBe(false);
    expect(INVOICE_STATUSES.some((from) => canTransition(from, 'draft'))).toBe(false);
  });

  it('throws an error the API answers with 409 and a message naming the invoice and the allowed moves', () => {
    let error: RuleViolation | undefined;
    try {
      assertInvoiceTransition('open', 'draft', 'in_42');
    } catch (err) {
      error = err as RuleViolation;
    }
    expect(error).toBeInstanceOf(RuleViolation);
    expect(error).toMatchObject({ kind: 'conflict', code: 'invalid_invoice_transition' });
    expect(error!.message).toBe('Invoice in_42 is open; it cannot become draft (allowed: paid, void, uncollectible).');
    expect(() => assertInvoiceTransition('paid', 'void')).toThrow('paid is final');
  });
});
