/**
 * The invoice lifecycle. Allowed transitions:
 *   draft → open                      (finalize: the invoice gets its number and due date)
 *   open → paid | void | uncollectible
 *   uncollectible → paid | void       (a late payment, or written off for good)
 * paid and void are final. Refunds never change the status: a refunded invoice stays paid and the
 * refund is recorded against its payment.
 */
import { RuleViolation } from './rule-violation';

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

export const INVOICE_STATUSES: readonly InvoiceStatus[] = ['draft', 'open', 'paid', 'void', 'uncollectible'];

const TRANSITIONS: Readonly<Record<InvoiceStatus, readonly InvoiceStatus[]>> = {
  draft: ['open'],
  open: ['paid', 'void', 'uncollectible'],
  uncollectible: ['paid', 'void'],
  paid: [],
  void: [],
};

export function canTransition(from: InvoiceStatus, to: InvoiceStatus): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

/** Statuses reachable from `from` in one step. */
export function nextInvoiceStatuses(from: InvoiceStatus): readonly InvoiceStatus[] {
  return TRANSITIONS[from] ?? [];
}

export function isFinalInvoiceStatus(status: InvoiceStatus): boolean {
  return nextInvoiceStatuses(status).length === 0;
}

/** A transition the lifecycle does not allow: a RuleViolation naming the invoice and the moves it allows. */
export function assertInvoiceTransition(from: InvoiceStatus, to: InvoiceStatus, invoiceId?: string): void {
  if (canTransition(from, to)) return;
  const allowed = nextInvoiceStatuses(from);
  throw new RuleViolation(
    'invalid_invoice_transition',
    `Invoice ${invoiceId ? `${invoiceId} ` : ''}is ${from}; it cannot become ${to}` + (allowed.length ? ` (allowed: ${allowed.join(', ')}).` : ` (${from} is final).`),
  );
}
