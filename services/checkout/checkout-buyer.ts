/**
 * The customer a checkout bills: the returning customer with this email (case-insensitive), or a new
 * one in the link's currency. The card from the form becomes the default payment method either way.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, type BillingAddress } from '../../db/entities';
import { newId } from '../../db/ids';
import { Refusal } from '../../domain/rule-violation';

export interface BuyerDetails {
  email: string;
  name: string;
  address: BillingAddress;
}

export async function checkoutCustomer(em: EntityManager, buyer: BuyerDetails, currency: string, paymentMethod: string, now: Date): Promise<Customer> {
  const email = buyer.email.trim();
  const [existing] = await em.find(Customer, { email: { $ilike: email.replace(/[\\%_]/g, (c) => `\\${c}`) } }, { orderBy: { id: 'asc' }, limit: 1 });
  if (existing) {
    if (existing.currency !== currency) {
      throw new Refusal('currency_mismatch', `This email already buys in ${existing.currency}; this link sells in ${currency}. Contact us to buy in another currency.`, 'email');
    }
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
