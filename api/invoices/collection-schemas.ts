/** The shapes of the collection actions on an invoice (./actions-routes.ts). */
import { Type } from 'typebox';
import { MAX_GRACE_DAYS } from '../../workflows/invoice-collection/rules';
import { Nullable, Timestamp } from '../schemas';

export const CollectionResource = Type.Object(
  {
    object: Type.Literal('invoice_collection'),
    invoice: Type.String(),
    stage: Type.Enum(['charging', 'retry_scheduled', 'awaiting_payment', 'paid', 'void', 'uncollectible'], {
      description:
        'charging: an attempt is in flight; retry_scheduled: a temporary decline, next try at next_retry_at; ' +
        'awaiting_payment: emailed, or dunning gave up (past_due): waiting for a payment or a new card; ' +
        'uncollectible: written off, still payable',
    }),
    collection_method: Type.Enum(['charge_automatically', 'send_invoice']),
    attempts: Type.Integer(),
    next_retry_at: Nullable(Timestamp),
    grace_days: Type.Integer(),
    past_due: Type.Boolean(),
    last_failure_code: Nullable(Type.String()),
  },
  { $id: 'InvoiceCollection' },
);

export const MarkPaidBody = Type.Object(
  {
    amount: Type.Optional(
      Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Minor units received; default the amount due. Less leaves the rest open.' }),
    ),
    method: Type.Enum(['check', 'bank_transfer', 'cash', 'other'], { description: 'How the money arrived' }),
    paid_at: Type.Optional(Type.String({ format: 'date-time', description: 'When it arrived; default now' })),
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Check number, transfer reference, ...' })),
    send_receipt: Type.Optional(Type.Boolean({ default: false, description: 'Email the customer a receipt' })),
  },
  { additionalProperties: false },
);

export const ExtendGraceBody = Type.Object(
  { days: Type.Integer({ minimum: 1, maximum: MAX_GRACE_DAYS, description: 'Days added to every remaining retry of this invoice' }) },
  { additionalProperties: false },
);
