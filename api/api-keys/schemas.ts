/** The request and response shapes of `/v1/api-keys`. */
import { Type } from 'typebox';
import { Nullable, Timestamp } from '../schemas';
import { API_KEY_ROLES } from '../../services/access/api-keys';

export const Role = Type.Enum([...API_KEY_ROLES], {
  description: 'admin: everything; operator: read everything, pause/resume/cancel; sales: customers and subscriptions',
});

export const ApiKeyResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('api_key'),
    name: Type.String(),
    role: Role,
    key_prefix: Type.String({ description: 'First characters of the secret, to tell keys apart' }),
    created_at: Timestamp,
    revoked_at: Nullable(Timestamp),
  },
  { $id: 'ApiKey' },
);

export const CreatedApiKey = Type.Object({
  ...ApiKeyResource.properties,
  secret: Nullable(Type.String({ description: 'Shown only in this response; store it now. null when the answer is an Idempotency-Key replay: a secret is shown once.' })),
});
