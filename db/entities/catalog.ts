import { EntitySchema } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';
import type { IntervalUnit } from '../../domain/frequency';

export class Product {
  id!: string;
  name!: string;
  description!: string | null;
  active!: boolean;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

export const ProductSchema = new EntitySchema<Product>({
  class: Product,
  tableName: 'products',
  properties: {
    id: { type: 'string', primary: true },
    name: { type: 'string' },
    description: { type: 'text', nullable: true },
    active: { type: 'boolean' },
    metadata: { type: 'json' },
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});

export type PriceType = 'one_time' | 'recurring';

/** A plan: what one unit of a product costs, once or every interval. */
export class Price {
  id!: string;
  productId!: string;
  nickname!: string | null;
  currency!: string;
  unitAmount!: number;
  type!: PriceType;
  intervalUnit!: IntervalUnit | null;
  intervalCount!: number | null;
  active!: boolean;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

export const PriceSchema = new EntitySchema<Price>({
  class: Price,
  tableName: 'prices',
  properties: {
    id: { type: 'string', primary: true },
    productId: { type: 'string' },
    nickname: { type: 'string', nullable: true },
    currency: { type: 'string', length: 3 },
    unitAmount: minorUnits(),
    type: { type: 'string' },
    intervalUnit: { type: 'string', nullable: true },
    intervalCount: { type: 'integer', nullable: true },
    active: { type: 'boolean' },
    metadata: { type: 'json' },
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});
