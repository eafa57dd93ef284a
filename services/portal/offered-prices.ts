/**
 * What the registration page offers: every active price of an active product, one-time or recurring,
 * in any currency (the new customer takes the chosen price's currency). The catalog is the one switch:
 * deactivate a price or its product to stop offering it.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Price, Product } from '../../db/entities';

export interface OfferedPrice {
  price: Price;
  product: Product;
}

export async function offeredPrices(em: EntityManager): Promise<OfferedPrice[]> {
  const products = await em.find(Product, { active: true }, { orderBy: { name: 'asc', id: 'asc' } });
  if (products.length === 0) return [];
  const prices = await em.find(Price, { active: true, productId: { $in: products.map((p) => p.id) } }, { orderBy: { unitAmount: 'asc', id: 'asc' } });
  const byProduct = new Map(products.map((p) => [p.id, p]));
  return prices
    .map((price) => ({ price, product: byProduct.get(price.productId)! }))
    .sort((a, b) => a.product.name.localeCompare(b.product.name) || a.price.unitAmount - b.price.unitAmount);
}

/** One offered price by id, or null when it is not (or no longer) offered. */
export async function offeredPrice(em: EntityManager, priceId: string): Promise<OfferedPrice | null> {
  const price = await em.findOne(Price, { id: priceId, active: true });
  if (!price) return null;
  const product = await em.findOne(Product, { id: price.productId, active: true });
  return product ? { price, product } : null;
}
