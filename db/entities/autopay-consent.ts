import { EntitySchema } from '@mikro-orm/core';
import { timestamptz } from './columns';

/**
 * A customer's authorisation to charge a card for a subscription's future invoices, given on a hosted
 * invoice page when it switches the subscription from emailed invoices to autopay. Kept as evidence
 * (card networks ask for it on a dispute over a merchant-initiated charge): the exact words shown,
 * when they were accepted, and from where. Never updated or deleted by the application.
 */
export class AutopayConsent {
  id!: string;
  customerId!: string;
  subscriptionId!: string;
  /** The invoice whose hosted page the consent was given on. */
  invoiceId!: string;
  /** The card saved as the default payment method with the consent (`pm_...`). */
  paymentMethod!: string;
  /** The consent text exactly as the customer saw it, company name filled in. */
  consentText!: string;
  acceptedAt!: Date;
  /** The client IP as the API sees it (behind TRUST_PROXY, the forwarded one). */
  clientIp!: string;
  userAgent!: string | null;
}

export const AutopayConsentSchema = new EntitySchema<AutopayConsent>({
  class: AutopayConsent,
  tableName: 'autopay_consents',
  properties: {
    id: { type: 'string', primary: true },
    customerId: { type: 'string' },
    subscriptionId: { type: 'string' },
    invoiceId: { type: 'string' },
    paymentMethod: { type: 'string' },
    consentText: { type: 'text' },
    acceptedAt: timestamptz(),
    clientIp: { type: 'string' },
    userAgent: { type: 'text', nullable: true },
  },
});
