/** The records behind `/v1/customers` as the API answers with them (the shapes are in ./schemas.ts). */
import { Customer } from '../../db/entities';
import { type CustomerRevenue } from '../../services/customers/customer-revenue';
import { definedOnly, iso } from '../schemas';

/** `revenue` comes from the customer's subscriptions (services/customers/customer-revenue.ts), read for a whole page at once in lists. */
export function customerResource(c: Customer, revenue: CustomerRevenue) {
  const a = c.billingAddress;
  return {
    id: c.id,
    object: 'customer' as const,
    email: c.email,
    name: c.name,
    currency: c.currency.toLowerCase(),
    time_zone: c.timeZone,
    billing_address: a
      ? definedOnly({ line1: a.line1, line2: a.line2, city: a.city, state: a.state, postal_code: a.postalCode, country: a.country })
      : null,
    default_payment_method: c.defaultPaymentMethod,
    account_owner_email: c.accountOwnerEmail,
    metadata: c.metadata,
    next_renewal_date: revenue.next_renewal_date,
    mrr: revenue.mrr,
    created_at: iso(c.createdAt)!,
  };
}
