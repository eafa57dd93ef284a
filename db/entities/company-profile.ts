import { EntitySchema } from '@mikro-orm/core';
import { timestamptz } from './columns';

export interface CompanyAddress {
  line1?: string;
  line2?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  /** ISO 3166-1 alpha-2 */
  country?: string;
}

export type LogoContentType = 'image/png' | 'image/jpeg';

/** The one row whose id every process reads: the singleton is a fixed primary key, not "the first row". */
export const COMPANY_PROFILE_ID = 'default';

/**
 * Who sends the invoices: the branding on every PDF and email. One row (seeded by its migration), so
 * every API and worker process reads the same profile and an update is a plain row update.
 */
export class CompanyProfile {
  id!: string;
  legalName!: string;
  displayName!: string;
  /** Validated PNG or JPEG bytes; kept in the database so every worker renders the same logo. */
  logo!: Buffer | null;
  logoContentType!: LogoContentType | null;
  /** `#RRGGBB`, upper case. */
  brandColor!: string;
  address!: CompanyAddress | null;
  taxId!: string | null;
  contactEmail!: string | null;
  contactPhone!: string | null;
  website!: string | null;
  invoiceFooter!: string | null;
  showLogo!: boolean;
  showAddress!: boolean;
  showTaxId!: boolean;
  showContact!: boolean;
  updatedAt!: Date;
}

export const CompanyProfileSchema = new EntitySchema<CompanyProfile>({
  class: CompanyProfile,
  tableName: 'company_profile',
  properties: {
    id: { type: 'string', primary: true },
    legalName: { type: 'string' },
    displayName: { type: 'string' },
    logo: { type: 'blob', columnType: 'bytea', nullable: true, lazy: false },
    logoContentType: { type: 'string', nullable: true },
    brandColor: { type: 'string', length: 7 },
    address: { type: 'json', nullable: true },
    taxId: { type: 'string', nullable: true },
    contactEmail: { type: 'string', nullable: true },
    contactPhone: { type: 'string', nullable: true },
    website: { type: 'string', nullable: true },
    invoiceFooter: { type: 'text', nullable: true },
    showLogo: { type: 'boolean' },
    showAddress: { type: 'boolean' },
    showTaxId: { type: 'boolean' },
    showContact: { type: 'boolean' },
    updatedAt: timestamptz(),
  },
});
