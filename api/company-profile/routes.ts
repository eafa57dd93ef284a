import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static } from 'typebox';
import { COMPANY_PROFILE_ID, CompanyProfile } from '../../db/entities';
import { defaultCompanyProfile } from '../../services/documents/brand';
import { ErrorSchema, invalidParam } from '../errors';
import { CompanyProfileResource, ReplaceCompanyProfile } from './schemas';
import { companyProfileResource } from './serialization';
import { decodeLogo } from './logo';
import { ADMIN_ONLY, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

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

export const companyProfileRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm }) => {
  app.get(
    '/company-profile',
    {
      config: { roles: STAFF },
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
    '/company-profile',
    {
      config: { roles: ADMIN_ONLY },
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
