/** The records behind `/v1/products` as the API answers with them (the shapes are in ./schemas.ts). */
import { Product } from '../../db/entities';
import { iso } from '../schemas';

export const productResource = (p: Product) => ({
  id: p.id,
  object: 'product' as const,
  name: p.name,
  description: p.description,
  active: p.active,
  metadata: p.metadata,
  created_at: iso(p.createdAt)!,
});
