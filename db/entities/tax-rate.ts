import { EntitySchema } from '@mikro-orm/core';
import { timestamptz } from './columns';

/**
 * A catalog tax rate, applied to subscriptions through their `default_tax_rates`. The percentage and
 * whether it is inclusive never change once created (invoices already issued were computed with them);
 * an inactive rate cannot be added to a subscription but keeps applying where it already is, as at Stripe.
 */
export class TaxRate {
  id!: string;
  displayName!: string;
  description!: string | null;
  /** Millionths of the taxable amount: 8.875 % = 88750. */
  percentagePpm!: number;
  inclusive!: boolean;
  active!: boolean;
  jurisdiction!: string | null;
  /** ISO 3166-1 alpha-2, upper case. */
  country!: string | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

export const TaxRateSchema = new EntitySchema<TaxRate>({
  class: TaxRate,
  tableName: 'tax_rates',
  properties: {
    id: { type: 'string', primary: true },
    displayName: { type: 'string' },
    description: { type: 'text', nullable: true },
    percentagePpm: { type: 'integer' },
    inclusive: { type: 'boolean' },
    active: { type: 'boolean' },
    jurisdiction: { type: 'string', nullable: true },
    country: { type: 'string', length: 2, nullable: true },
    metadata: { type: 'json' },
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});
