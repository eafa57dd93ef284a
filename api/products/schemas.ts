/** The request and response shapes of `/v1/products`. */
import { Type } from 'typebox';
import { Metadata, Nullable, Timestamp } from '../schemas';

export const ProductResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('product'),
    name: Type.String(),
    description: Nullable(Type.String()),
    active: Type.Boolean(),
    metadata: Metadata,
    created_at: Timestamp,
  },
  { $id: 'Product' },
);

export const CreateProduct = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    active: Type.Optional(Type.Boolean({ default: true })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
