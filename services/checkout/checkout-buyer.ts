/**
 * The customer a checkout bills. A payment link is public, so an email address typed into it proves
 * nothing: matching it to an existing customer would let a stranger replace that customer's card (or
 * buy on it). A checkout therefore bills a new customer, as Stripe's Checkout does without a customer,
 * unless it continues the buyer's own earlier attempt on the same page (a declined card retried, the
 * earlier form's token presented), whose customer it then bills again with the new card.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, type BillingAddress } from '../../db/entities';
import { newId } from '../../db/ids';

export interface BuyerDetails {
  email: string;
  name: string;
  address: BillingAddress;
}

export async function checkoutCustomer(
  em: EntityManager,
  buyer: BuyerDetails,
  currency: string,
  paymentMethod: string,
  now: Date,
  /** The customer of the buyer's own earlier, unsuccessful attempt on this link (see above), or null. */
  continuesCustomerId: string | null,
): Promise<Customer> {
  const email = buyer.email.trim();
  const existing = continuesCustomerId ? await em.findOne(Customer, { id: continuesCustomerId }) : null;
  // The retry keeps the customer only for the same address: another one is another buyer.
  if (existing && existing.email.toLowerCase() === email.toLowerCase() && existing.currency === currency) {
    existing.defaultPaymentMethod = paymentMethod;
    if (!existing.billingAddress && Object.keys(buyer.address).length > 0) existing.billingAddress = buyer.address;
    existing.updatedAt = now;
    return existing;
  }
  return em.create(Customer, {
    id: newId('customer'),
    email,
    name: buyer.name.trim(),
    currency,
    timeZone: 'UTC',
    billingAddress: Object.keys(buyer.address).length > 0 ? buyer.address : null,
    defaultPaymentMethod: paymentMethod,
    gatewayCustomerId: null,
    accountOwnerEmail: null,
    metadata: { source: 'payment_link' },
    createdAt: now,
    updatedAt: now,
  });
}
