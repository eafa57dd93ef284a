/** The request and response shapes of `/v1/tax-rates`. */
import { Type } from 'typebox';
import { PERCENTAGE_PATTERN } from '../../domain/pricing';
import { Metadata, Nullable, Timestamp } from '../schemas';

export const TaxRateResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('tax_rate'),
    display_name: Type.String(),
    description: Nullable(Type.String()),
    percentage: Type.String({ description: 'Percent as a decimal string, up to 4 decimals: "8.875"' }),
    inclusive: Type.Boolean({ description: 'True: prices already contain this tax; false: it is added on top' }),
    active: Type.Boolean({ description: 'Only active rates can be added to a subscription; an inactive one keeps applying where it already is' }),
    jurisdiction: Nullable(Type.String()),
    country: Nullable(Type.String({ description: 'ISO 3166-1 alpha-2' })),
    metadata: Metadata,
    created_at: Timestamp,
  },
  { $id: 'TaxRate' },
);

export const Country = Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 alpha-2 country code', examples: ['US'] });

export const CreateTaxRate = Type.Object(
  {
    display_name: Type.String({ minLength: 1, maxLength: 100, examples: ['Sales tax'] }),
    percentage: Type.String({ pattern: PERCENTAGE_PATTERN, description: 'Percent, 0 to 100, up to 4 decimals: "20", "8.875"' }),
    inclusive: Type.Boolean(),
    active: Type.Optional(Type.Boolean({ default: true })),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    jurisdiction: Type.Optional(Type.String({ maxLength: 200 })),
    country: Type.Optional(Country),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const UpdateTaxRate = Type.Object(
  {
    display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    // An empty string removes the field, as at Stripe. Not a null|string union: Ajv's type coercion turns
    // false, 0 and "" into null inside one, so a wrong type would silently clear the field (schemathesis).
    description: Type.Optional(Type.String({ maxLength: 500, description: 'An empty string removes it' })),
    active: Type.Optional(Type.Boolean()),
    jurisdiction: Type.Optional(Type.String({ maxLength: 200, description: 'An empty string removes it' })),
    metadata: Type.Optional(
      Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), {
        maxProperties: 50,
        description: 'Merged into the metadata; an empty string removes that key',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'percentage, inclusive and country are fixed once created (issued invoices were computed with them): sending one is a 400 naming it',
  },
);
