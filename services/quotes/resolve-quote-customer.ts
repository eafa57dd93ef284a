/**
 * The customer a new quote is for: an existing one, or a new one from the contact, built here but
 * written only with the quote (services/quotes/create-quote.ts), so a refused quote leaves no customer.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer } from '../../db/entities';
import { newId } from '../../db/ids';
import { isValidTimeZone } from '../../domain/calendar';
import { isSupportedCurrency } from '../../domain/money';
import { invalidInput, missingReference } from '../../domain/rule-violation';
import type { QuoteContact, QuoteCustomer } from './quote-input';

/** Exactly one of them: an existing customer's id, or the contact to create. */
export interface QuoteCustomerRequest {
  customer?: string;
  contact?: QuoteContact;
}

/** The customer a new quote is for: an existing one, or a new one from the contact (not yet written). */
export async function resolveQuoteCustomer(em: EntityManager, body: QuoteCustomerRequest): Promise<{ customer: QuoteCustomer; create: Customer | null }> {
  if ((body.customer === undefined) === (body.contact === undefined)) throw invalidInput('customer', 'Give either customer or contact.');
  if (body.customer !== undefined) {
    const customer = await em.findOne(Customer, { id: body.customer });
    if (!customer) throw missingReference('customer', 'customer', body.customer);
    return { customer, create: null };
  }
  const c = body.contact!;
  if (!isSupportedCurrency(c.currency.toUpperCase())) throw invalidInput('contact[currency]', `Unsupported currency: ${c.currency}.`);
  const timeZone = c.time_zone ?? 'UTC';
  if (!isValidTimeZone(timeZone)) throw invalidInput('contact[time_zone]', `Unknown IANA time zone: ${timeZone}.`);
  const now = new Date();
  const customer = new Customer();
  Object.assign(customer, {
    id: newId('customer'),
    email: c.email,
    name: c.name,
    currency: c.currency.toUpperCase(),
    timeZone,
    billingAddress: null,
    defaultPaymentMethod: c.default_payment_method ?? null,
    gatewayCustomerId: null,
    accountOwnerEmail: c.account_owner_email ?? null,
    metadata: {},
    createdAt: now,
    updatedAt: now,
  });
  return { customer, create: customer };
}
