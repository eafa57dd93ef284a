import { EntitySchema } from '@mikro-orm/core';
import { timestamptz } from './columns';

export interface BillingAddress {
  line1?: string;
  line2?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  /** ISO 3166-1 alpha-2 */
  country?: string;
}

export class Customer {
  id!: string;
  email!: string;
  name!: string;
  /** The currency every price billed to this customer must use. */
  currency!: string;
  /** IANA zone; billing periods and due dates follow this calendar. */
  timeZone!: string;
  billingAddress!: BillingAddress | null;
  /** Gateway payment method charged automatically (`pm_...`, or a sandbox test method). */
  defaultPaymentMethod!: string | null;
  /** The customer's id at the gateway (Stripe `cus_...`), when it has one. */
  gatewayCustomerId!: string | null;
  /** Who on our side looks after this account; copied on final payment failure notices. */
  accountOwnerEmail!: string | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

export const CustomerSchema = new EntitySchema<Customer>({
  class: Customer,
  tableName: 'customers',
  properties: {
    id: { type: 'string', primary: true },
    email: { type: 'string' },
    name: { type: 'string' },
    currency: { type: 'string', length: 3 },
    timeZone: { type: 'string' },
    billingAddress: { type: 'json', nullable: true },
    defaultPaymentMethod: { type: 'string', nullable: true },
    gatewayCustomerId: { type: 'string', nullable: true },
    accountOwnerEmail: { type: 'string', nullable: true },
    metadata: { type: 'json' },
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});
