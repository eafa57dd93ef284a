import type { EntityManager } from '@mikro-orm/postgresql';
import { COMPANY_PROFILE_ID, CompanyProfile, type CompanyAddress } from '../../db/entities';

/**
 * The company profile as documents and emails show it: optional fields already filtered by the
 * profile's show_* switches, so no template or layout has to know about them.
 */
export interface Brand {
  name: string;
  legalName: string;
  /** `#RRGGBB` */
  color: string;
  /** Black or white, whichever reads better on `color`. */
  onColor: string;
  logo: { data: Buffer; contentType: 'image/png' | 'image/jpeg' } | null;
  /** `data:image/png;base64,...` for HTML emails, or null when there is no logo to show. */
  logoDataUrl: string | null;
  addressLines: string[];
  taxId: string | null;
  email: string | null;
  phone: string | null;
  website: string | null;
  footer: string | null;
}

export const DEFAULT_BRAND_COLOR = '#2563EB';

/** What the migration seeds; used only if the row was removed by hand, so rendering never fails on it. */
export function defaultCompanyProfile(): CompanyProfile {
  return Object.assign(new CompanyProfile(), {
    id: COMPANY_PROFILE_ID,
    legalName: 'Billing',
    displayName: 'Billing',
    logo: null,
    logoContentType: null,
    brandColor: DEFAULT_BRAND_COLOR,
    address: null,
    taxId: null,
    contactEmail: null,
    contactPhone: null,
    website: null,
    invoiceFooter: null,
    showLogo: true,
    showAddress: true,
    showTaxId: true,
    showContact: true,
    updatedAt: new Date(0),
  });
}

export async function loadCompanyProfile(em: EntityManager): Promise<CompanyProfile> {
  return (await em.findOne(CompanyProfile, { id: COMPANY_PROFILE_ID })) ?? defaultCompanyProfile();
}

export async function loadBrand(em: EntityManager): Promise<Brand> {
  return brandFromProfile(await loadCompanyProfile(em));
}

/** "Street, City, State Postal code, Country" as the lines an envelope would carry. */
export function addressLines(address: CompanyAddress | null | undefined): string[] {
  if (!address) return [];
  const cityLine = [address.city, [address.state, address.postalCode].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  return [address.line1, address.line2, cityLine, countryName(address.country)].filter((line): line is string => Boolean(line && line.trim()));
}

const REGION_NAMES = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

/** "DE" → "Germany"; an unknown code is printed as given. */
export function countryName(code: string | undefined): string | undefined {
  if (!code) return code;
  try {
    return REGION_NAMES.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** WCAG relative luminance of `#RRGGBB`. */
function luminance(hex: string): number {
  const channel = (offset: number) => {
    const c = parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** White text on dark brand colours, near-black on light ones (whichever has the higher contrast). */
export function readableOn(hex: string): string {
  const l = luminance(hex);
  return (1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#FFFFFF' : '#111827');
}

/** `hex` mixed with white: `amount` 0 is white, 1 is the colour itself. For table stripes and panels. */
export function tint(hex: string, amount: number): string {
  const mix = (offset: number) => {
    const c = parseInt(hex.slice(offset, offset + 2), 16);
    return Math.round(255 - (255 - c) * amount)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${mix(1)}${mix(3)}${mix(5)}`.toUpperCase();
}

export function brandFromProfile(p: CompanyProfile): Brand {
  const color = /^#[0-9A-Fa-f]{6}$/.test(p.brandColor) ? p.brandColor.toUpperCase() : DEFAULT_BRAND_COLOR;
  const logo = p.showLogo && p.logo && p.logoContentType ? { data: Buffer.from(p.logo), contentType: p.logoContentType } : null;
  return {
    name: p.displayName,
    legalName: p.legalName,
    color,
    onColor: readableOn(color),
    logo,
    logoDataUrl: logo ? `data:${logo.contentType};base64,${logo.data.toString('base64')}` : null,
    addressLines: p.showAddress ? addressLines(p.address) : [],
    taxId: p.showTaxId ? p.taxId : null,
    email: p.showContact ? p.contactEmail : null,
    phone: p.showContact ? p.contactPhone : null,
    website: p.showContact ? p.website : null,
    footer: p.invoiceFooter,
  };
}

/**
 * The `brand` object every email template receives (see templates/partials). Mustache sections skip
 * null and empty values, so each optional field is simply left out when the profile hides it.
 */
export function brandEmailView(brand: Brand) {
  const contact = [brand.email, brand.phone, brand.website].filter((part): part is string => Boolean(part));
  return {
    name: brand.name,
    legalName: brand.legalName,
    color: brand.color,
    onColor: brand.onColor,
    logoDataUrl: brand.logoDataUrl,
    address: brand.addressLines.length ? brand.addressLines.join(', ') : null,
    addressLines: brand.addressLines,
    taxId: brand.taxId,
    contact: contact.length ? contact.join(' · ') : null,
    footer: brand.footer,
  };
}
