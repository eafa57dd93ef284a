import { EntitySchema } from '@mikro-orm/core';
import { timestamptz } from './columns';

export type ApiKeyRole = 'admin' | 'operator' | 'sales';

/** Only a SHA-256 of the secret is stored; the secret is shown once, when the key is created. */
export class ApiKey {
  id!: string;
  name!: string;
  role!: ApiKeyRole;
  keyHash!: string;
  /** The first characters of the secret, so operators can tell keys apart. */
  keyPrefix!: string;
  createdAt!: Date;
  revokedAt!: Date | null;
}

export const ApiKeySchema = new EntitySchema<ApiKey>({
  class: ApiKey,
  tableName: 'api_keys',
  properties: {
    id: { type: 'string', primary: true },
    name: { type: 'string' },
    role: { type: 'string' },
    keyHash: { type: 'string', unique: true },
    keyPrefix: { type: 'string' },
    createdAt: timestamptz(),
    revokedAt: timestamptz(true),
  },
});
