/** The request and response shapes of `/v1/company-profile`. */
import { Type } from 'typebox';
import { Address, Nullable, Timestamp } from '../schemas';

/** Decoded logo bytes; the base64 in a request is a third larger. Every branded email carries the logo inline. */
export const MAX_LOGO_BYTES = 256 * 1024;
export const MAX_LOGO_PIXELS = 4_000_000;
export const MAX_LOGO_DATA_URL_LENGTH = 'data:image/jpeg;base64,'.length + Math.ceil(MAX_LOGO_BYTES / 3) * 4;

export const BrandColor = Type.String({ pattern: '^#[0-9A-Fa-f]{6}$', description: 'Hex colour #RRGGBB; returned in upper case', examples: ['#0F766E'] });

export const Logo = Type.String({
  maxLength: MAX_LOGO_DATA_URL_LENGTH,
  pattern: '^data:image/(png|jpeg);base64,[A-Za-z0-9+/]+={0,2}$',
  description: `A PNG or JPEG as a base64 data URL, at most ${MAX_LOGO_BYTES / 1024} KiB decoded`,
});

export const ShowFields = {
  show_logo: Type.Boolean({ description: 'Show the logo on documents and emails' }),
  show_address: Type.Boolean({ description: 'Show the company address' }),
  show_tax_id: Type.Boolean({ description: 'Show the tax id' }),
  show_contact: Type.Boolean({ description: 'Show the contact email, phone and website' }),
};

export const CompanyProfileResource = Type.Object(
  {
    object: Type.Literal('company_profile'),
    legal_name: Type.String(),
    display_name: Type.String(),
    logo: Nullable(Type.String({ description: 'data:image/png;base64,... or null' })),
    brand_color: Type.String(),
    address: Nullable(Address),
    tax_id: Nullable(Type.String()),
    contact_email: Nullable(Type.String()),
    contact_phone: Nullable(Type.String()),
    website: Nullable(Type.String()),
    invoice_footer: Nullable(Type.String()),
    ...ShowFields,
    updated_at: Timestamp,
  },
  { $id: 'CompanyProfile' },
);

export const optionalText = (maxLength: number, description: string) => Type.Optional(Nullable(Type.String({ minLength: 1, maxLength, description })));

/** The whole profile: what is left out is cleared (nullable fields) or shown (show_* switches). */
export const ReplaceCompanyProfile = Type.Object(
  {
    legal_name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Registered name, printed as the sender on documents' }),
    display_name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', description: 'Short name in email headers and in place of a logo' }),
    brand_color: BrandColor,
    logo: Type.Optional(Nullable(Logo)),
    address: Type.Optional(Nullable(Address)),
    tax_id: optionalText(50, 'VAT number, EIN, ...'),
    contact_email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 254 }))),
    contact_phone: optionalText(40, 'Phone number as printed'),
    website: optionalText(200, 'Website as printed, e.g. example.com'),
    invoice_footer: optionalText(1000, 'Printed at the foot of every invoice and receipt page and in emails'),
    show_logo: Type.Optional(ShowFields.show_logo),
    show_address: Type.Optional(ShowFields.show_address),
    show_tax_id: Type.Optional(ShowFields.show_tax_id),
    show_contact: Type.Optional(ShowFields.show_contact),
  },
  { additionalProperties: false },
);
