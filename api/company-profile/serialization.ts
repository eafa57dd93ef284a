/** The records behind `/v1/company-profile` as the API answers with them (the shapes are in ./schemas.ts). */
import { CompanyProfile } from '../../db/entities';
import { definedOnly, iso } from '../schemas';

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
