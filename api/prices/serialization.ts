/** The records behind `/v1/prices` as the API answers with them (the shapes are in ./schemas.ts). */
import { Price } from '../../db/entities';
import { describeFrequency } from '../../domain/frequency';
import { iso } from '../schemas';

export function priceResource(p: Price) {
  const interval = p.intervalUnit && p.intervalCount ? { unit: p.intervalUnit, count: p.intervalCount } : null;
  return {
    id: p.id,
    object: 'price' as const,
    product: p.productId,
    nickname: p.nickname,
    currency: p.currency.toLowerCase(),
    unit_amount: p.unitAmount,
    type: p.type,
    recurring: interval ? { interval: interval.unit, interval_count: interval.count } : null,
    frequency: describeFrequency(interval),
    active: p.active,
    metadata: p.metadata,
    created_at: iso(p.createdAt)!,
  };
}
