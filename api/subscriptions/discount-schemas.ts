/** The shapes of a subscription's discounts and its upcoming invoice (./discounts-routes.ts). */
import { Type } from 'typebox';
import { PAYMENT_TERMS } from '../../domain/payment-terms';
import { Nullable, Timestamp } from '../schemas';
import { PricedTotalsFields } from '../invoices/schemas';

export const ApplyDiscount = Type.Object(
  { coupon: Type.String({ minLength: 1, maxLength: 64, description: 'A valid coupon; replaces the current one' }) },
  { additionalProperties: false },
);

export const UpcomingInvoiceLine = Type.Object({
  description: Type.String(),
  price: Nullable(Type.String()),
  quantity: Type.Integer(),
  unit_amount: Type.Integer(),
  amount: Type.Integer({ description: 'unit_amount × quantity, before discounts' }),
  discount_amount: Type.Integer(),
  tax_amount: Type.Integer(),
  period: Nullable(
    Type.Object(
      { start: Timestamp, end: Timestamp },
      { description: 'What this line covers, as on the issued invoice: the billed period, or a partial period or proration’s own dates' },
    ),
  ),
});

export const UpcomingInvoice = Type.Object(
  {
    object: Type.Literal('upcoming_invoice'),
    customer: Type.String(),
    subscription: Type.String(),
    currency: Type.String(),
    collection_method: Type.String(),
    payment_terms: Type.Enum([...PAYMENT_TERMS]),
    period: Type.Object({ index: Type.Integer(), start: Timestamp, end: Timestamp }),
    date: Timestamp,
    due_date: Timestamp,
    next_payment_attempt: Nullable(Timestamp),
    coupon: Nullable(Type.String({ description: 'The coupon discounting this invoice, if its duration covers the period' })),
    ...PricedTotalsFields,
    lines: Type.Array(UpcomingInvoiceLine),
  },
  {
    $id: 'UpcomingInvoice',
    description:
      'The invoice the subscription’s next billing date will create, priced by the same code as the invoice itself; nothing is saved. ' +
      '`date` is when it is issued (the period start), `next_payment_attempt` when it is charged (null for send_invoice).',
  },
);
