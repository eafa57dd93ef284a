/**
 * The billing details a customer changes itself in the portal: the name invoices are made out to and
 * the billing address, within the same limits the API's customer schema sets (api/schemas.ts Address).
 *
 * Not the email address: it is the identity sign-in links go to, so a change would have to be proven
 * from the new inbox first; the page says to ask support. Not the currency or time zone either: running
 * subscriptions and open invoices are billed in them.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, type BillingAddress } from '../../db/entities';

export interface BillingDetailsInput {
  name: string;
  line1: string;
  line2: string;
  city: string;
  state: string;
  postalCode: string;
  country: string;
}

/** Field → what is wrong with it; the page shows each message next to its field. */
export type BillingDetailsErrors = Partial<Record<keyof BillingDetailsInput, 'required' | 'too_long' | 'country_code'>>;

const MAX_LENGTHS: Record<keyof BillingDetailsInput, number> = { name: 200, line1: 200, line2: 200, city: 100, state: 100, postalCode: 20, country: 2 };

/** The trimmed input and its problems; an empty optional field is simply left out of the address. */
export function checkBillingDetails(raw: BillingDetailsInput): { input: BillingDetailsInput; errors: BillingDetailsErrors } {
  const input = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v ?? '').trim()])) as unknown as BillingDetailsInput;
  input.country = input.country.toUpperCase();
  const errors: BillingDetailsErrors = {};
  for (const key of Object.keys(MAX_LENGTHS) as (keyof BillingDetailsInput)[]) {
    if (input[key].length > MAX_LENGTHS[key]) errors[key] = 'too_long';
  }
  if (input.name === '') errors.name = 'required';
  if (input.country !== '' && !/^[A-Z]{2}$/.test(input.country)) errors.country = 'country_code';
  return { input, errors };
}

/** Saves checked details on the customer; an address with no field filled in is no address. */
export async function saveBillingDetails(em: EntityManager, customerId: string, input: BillingDetailsInput, now = new Date()): Promise<Customer> {
  const customer = await em.findOneOrFail(Customer, { id: customerId });
  const address: BillingAddress = {};
  const fields: [keyof BillingAddress, string][] = [
    ['line1', input.line1],
    ['line2', input.line2],
    ['city', input.city],
    ['state', input.state],
    ['postalCode', input.postalCode],
    ['country', input.country],
  ];
  for (const [key, value] of fields) if (value !== '') address[key] = value;
  customer.name = input.name;
  customer.billingAddress = Object.keys(address).length ? address : null;
  customer.updatedAt = now;
  await em.flush();
  return customer;
}
