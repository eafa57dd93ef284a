/** The records behind `/v1/tax-rates` as the API answers with them (the shapes are in ./schemas.ts). */
import { TaxRate } from '../../db/entities';
import { formatPercentage } from '../../domain/pricing';
import { iso } from '../schemas';

export const taxRateResource = (t: TaxRate) => ({
  id: t.id,
  object: 'tax_rate' as const,
  display_name: t.displayName,
  description: t.description,
  percentage: formatPercentage(t.percentagePpm),
  inclusive: t.inclusive,
  active: t.active,
  jurisdiction: t.jurisdiction,
  country: t.country,
  metadata: t.metadata,
  created_at: iso(t.createdAt)!,
});
