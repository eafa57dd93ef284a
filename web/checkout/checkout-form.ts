/**
 * Reading the checkout form: the quantities (`quantity_<line>`), the buyer's details and the optional
 * start day, each bad field with the message shown beside it. The card is read by web/payments.
 */
import type { BillingAddress, PaymentLink } from '../../db/entities';
import type { BuyerDetails } from '../../services/checkout/checkout-buyer';
import type { Translate } from '../i18n';

export type FormBody = Record<string, unknown>;

export const text = (body: FormBody, name: string, max = 200): string => (typeof body[name] === 'string' ? (body[name] as string).trim().slice(0, max) : '');

/** What the buyer typed, echoed back into the form when it is shown again (never the card). */
export interface BuyerFields {
  email: string;
  name: string;
  address_line1: string;
  address_city: string;
  address_postal_code: string;
  address_country: string;
  start_date: string;
}

export const emptyBuyer = (): BuyerFields => ({ email: '', name: '', address_line1: '', address_city: '', address_postal_code: '', address_country: '', start_date: '' });

export function buyerFields(body: FormBody): BuyerFields {
  return {
    email: text(body, 'email', 254),
    name: text(body, 'name'),
    address_line1: text(body, 'address_line1'),
    address_city: text(body, 'address_city', 100),
    address_postal_code: text(body, 'address_postal_code', 20),
    address_country: text(body, 'address_country', 2).toUpperCase(),
    start_date: text(body, 'start_date', 10),
  };
}

/** The quantity of each line a form (or the summary's "update order" query) asked for; blank or absent keeps the link's. */
export function requestedQuantities(link: PaymentLink, source: FormBody): (number | undefined)[] {
  return link.lineItems.map((item, i) => {
    const raw = text(source, `quantity_${i}`, 7);
    if (!item.adjustableQuantity || raw === '') return undefined;
    return /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  });
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;

/** The buyer's details, or each bad field with its message. */
export function readBuyer(fields: BuyerFields, t: Translate): { buyer: BuyerDetails | null; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  if (!EMAIL.test(fields.email)) errors.email = t('checkout.emailInvalid');
  if (fields.name === '') errors.name = t('checkout.nameMissing');
  if (fields.address_country !== '' && !/^[A-Z]{2}$/.test(fields.address_country)) errors.address_country = t('checkout.countryInvalid');
  if (Object.keys(errors).length > 0) return { buyer: null, errors };
  const address: BillingAddress = {};
  if (fields.address_line1) address.line1 = fields.address_line1;
  if (fields.address_city) address.city = fields.address_city;
  if (fields.address_postal_code) address.postalCode = fields.address_postal_code;
  if (fields.address_country) address.country = fields.address_country;
  return { buyer: { email: fields.email, name: fields.name, address }, errors };
}
