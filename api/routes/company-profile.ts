import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import { COMPANY_PROFILE_ID, CompanyProfile, type LogoContentType } from '../../db/entities';
import { defaultCompanyProfile } from '../../services/documents/brand';
import { canEmbedImage } from '../../services/documents/layout';
import { ErrorSchema, invalidParam } from '../errors';
import { Nullable, Timestamp, definedOnly, iso } from '../schemas';

/** Decoded logo bytes; the base64 in a request is a third larger. Every branded email carries the logo inline. */
export const MAX_LOGO_BYTES = 256 * 1024;
const MAX_LOGO_PIXELS = 4_000_000;
const MAX_LOGO_DATA_URL_LENGTH = 'data:image/jpeg;base64,'.length + Math.ceil(MAX_LOGO_BYTES / 3) * 4;

const Address = Type.Object(
  {
    line1: Type.Optional(Type.String({ maxLength: 200 })),
    line2: Type.Optional(Type.String({ maxLength: 200 })),
    city: Type.Optional(Type.String({ maxLength: 100 })),
    state: Type.Optional(Type.String({ maxLength: 100 })),
    postal_code: Type.Optional(Type.String({ maxLength: 20 })),
    country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' })),
  },
  { additionalProperties: false },
);

const BrandColor = Type.String({ pattern: '^#[0-9A-Fa-f]{6}$', description: 'Hex colour #RRGGBB; returned in upper case', examples: ['#0F766E'] });

const Logo = Type.String({
  maxLength: MAX_LOGO_DATA_URL_LENGTH,
  pattern: '^data:image/(png|jpeg);base64,[A-Za-z0-9+/]+={0,2}$',
  description: `A PNG or JPEG as a base64 data URL, at most ${MAX_LOGO_BYTES / 1024} KiB decoded`,
});

const ShowFields = {
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

const optionalText = (maxLength: number, description: string) => Type.Optional(Nullable(Type.String({ minLength: 1, maxLength, description })));

/** The whole profile: what is left out is cleared (nullable fields) or shown (show_* switches). */
const ReplaceCompanyProfile = Type.Object(
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

export function companyProfileResource(p: CompanyProfile) {
  const a = p.address;
  return {
    object: 'company_profile' as const,
    legal_name: p.legalName,
    display_name: p.displayName,
    logo: p.logo && p.logoContentType ? `data:${p.logoContentType};base64,${Buffer.from(p.logo).toString('base64')}` : null,
    brand_color: p.brandColor,
    address: a ? definedOnly({ line1: a.line1, line2: a.line2, city: a.city, state: a.state, postal_code: a.postalCode, country: a.country }) : null,
    tax_id: p.taxId,
    contact_email: p.contactEmail,
    contact_phone: p.contactPhone,
    website: p.website,
    invoice_footer: p.invoiceFooter,
    show_logo: p.showLogo,
    show_address: p.showAddress,
    show_tax_id: p.showTaxId,
    show_contact: p.showContact,
    updated_at: iso(p.updatedAt)!,
  };
}

const SIGNATURES: Record<LogoContentType, number[]> = {
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff],
};

/** The data URL's bytes, checked to be the image type it claims and one the PDF renderer can embed. */
async function decodeLogo(dataUrl: string): Promise<{ data: Buffer; contentType: LogoContentType }> {
  const match = /^data:(image\/(?:png|jpeg));base64,(.+)$/.exec(dataUrl);
  if (!match) throw invalidParam('logo', 'logo must be a data URL of a PNG or JPEG image (data:image/png;base64,...).');
  const contentType = match[1] as LogoContentType;
  const data = Buffer.from(match[2]!, 'base64');
  if (data.length > MAX_LOGO_BYTES) throw invalidParam('logo', `logo is ${data.length} bytes; at most ${MAX_LOGO_BYTES} are allowed.`);
  const signature = SIGNATURES[contentType];
  if (data.length < signature.length || !signature.every((byte, i) => data[i] === byte)) {
    throw invalidParam('logo', `logo is not a ${contentType === 'image/png' ? 'PNG' : 'JPEG'} image (its bytes do not match the declared type).`);
  }
  // A small PNG can inflate to gigabytes of pixels; a logo never needs more than a few megapixels.
  if (contentType === 'image/png' && data.length >= 24 && data.readUInt32BE(16) * data.readUInt32BE(20) > MAX_LOGO_PIXELS) {
    throw invalidParam('logo', `logo is ${data.readUInt32BE(16)}×${data.readUInt32BE(20)} pixels; at most ${MAX_LOGO_PIXELS / 1_000_000} megapixels are allowed.`);
  }
  if (!(await canEmbedImage(data))) throw invalidParam('logo', 'logo could not be decoded as an image; export it again as a PNG or JPEG.');
  return { data, contentType };
}

const NULLABLE_FIELDS = ['logo', 'address', 'tax_id', 'contact_email', 'contact_phone', 'website', 'invoice_footer'] as const;

/**
 * The shared Ajv coerces "" to null where a schema also allows null, which would read an empty
 * string (never valid for these fields) as "clear the field". Refused first, naming the field.
 */
async function refuseEmptyStrings(request: { body: unknown }): Promise<void> {
  const body = request.body;
  if (typeof body !== 'object' || body === null) return;
  for (const field of NULLABLE_FIELDS) {
    if ((body as Record<string, unknown>)[field] === '') throw invalidParam(field, `Invalid ${field}: must not be empty (send null to clear it).`);
  }
}

export const companyProfileRoutes: FastifyPluginAsyncTypebox<{ orm: MikroORM }> = async (app, { orm }) => {
  app.get(
    '/v1/company-profile',
    {
      config: { roles: ['admin', 'operator', 'sales'] },
      schema: {
        tags: ['company profile'],
        summary: 'Retrieve the company profile (branding on invoices, receipts and emails)',
        response: { 200: CompanyProfileResource, '4xx': ErrorSchema },
      },
    },
    async () => {
      const profile = await orm.em.fork().findOne(CompanyProfile, { id: COMPANY_PROFILE_ID });
      return companyProfileResource(profile ?? defaultCompanyProfile());
    },
  );

  app.put(
    '/v1/company-profile',
    {
      config: { roles: ['admin'] },
      preValidation: refuseEmptyStrings,
      schema: {
        tags: ['company profile'],
        summary: 'Replace the company profile',
        description:
          'Full replace: send every field you want to keep (GET, change, PUT back). Nullable fields left out are cleared; ' +
          'show_* switches left out default to true. Documents and emails rendered afterwards use the new profile.',
        body: ReplaceCompanyProfile,
        response: { 200: CompanyProfileResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const body: Static<typeof ReplaceCompanyProfile> = request.body;
      // Everything is validated before the row is touched: a bad logo leaves the old profile whole.
      const logo = body.logo ? await decodeLogo(body.logo) : null;
      const a = body.address;
      const values = {
        legalName: body.legal_name.trim(),
        displayName: body.display_name.trim(),
        logo: logo?.data ?? null,
        logoContentType: logo?.contentType ?? null,
        brandColor: body.brand_color.toUpperCase(),
        address: a ? { line1: a.line1, line2: a.line2, city: a.city, state: a.state, postalCode: a.postal_code, country: a.country } : null,
        taxId: body.tax_id ?? null,
        contactEmail: body.contact_email ?? null,
        contactPhone: body.contact_phone ?? null,
        website: body.website ?? null,
        invoiceFooter: body.invoice_footer ?? null,
        showLogo: body.show_logo ?? true,
        showAddress: body.show_address ?? true,
        showTaxId: body.show_tax_id ?? true,
        showContact: body.show_contact ?? true,
        updatedAt: new Date(),
      };
      const em = orm.em.fork();
      // The migration seeds the row; concurrent PUTs update it in turn and the last one wins, as a full replace should.
      let profile = await em.findOne(CompanyProfile, { id: COMPANY_PROFILE_ID });
      if (profile) em.assign(profile, values);
      else profile = em.create(CompanyProfile, { id: COMPANY_PROFILE_ID, ...values });
      await em.flush();
      return companyProfileResource(profile);
    },
  );
};
