/** The request and response shapes of `/v1/portal and the portal sessions`. */
import { Type } from 'typebox';
import { PORTAL_SESSION_DEFAULT_SECONDS, PORTAL_SESSION_MAX_SECONDS, PORTAL_SESSION_MIN_SECONDS } from '../../services/access/portal-sessions';
import { Nullable, Timestamp } from '../schemas';

export const PortalSessionResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('portal_session'),
    customer: Type.String(),
    token: Nullable(Type.String({ description: 'The bearer token (cps_...) for /v1/portal: shown once, when the session is created; null afterwards' })),
    url: Nullable(Type.String({ description: 'The portal with the token in its fragment, to hand to the customer; null after creation' })),
    return_url: Nullable(Type.String()),
    expires_at: Timestamp,
    revoked_at: Nullable(Timestamp),
    created_at: Timestamp,
  },
  { $id: 'PortalSession' },
);

export const CreatePortalSession = Type.Object(
  {
    expires_in: Type.Optional(
      Type.Integer({
        minimum: PORTAL_SESSION_MIN_SECONDS,
        maximum: PORTAL_SESSION_MAX_SECONDS,
        description: `Seconds the session lasts (default ${PORTAL_SESSION_DEFAULT_SECONDS})`,
      }),
    ),
    return_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'Where the portal sends the customer back (http or https)' })),
  },
  { additionalProperties: false },
);

export const SessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), session: Type.String({ minLength: 1, maxLength: 64 }) });

/** What a customer sees of its invoices: drafts are the merchant's work in progress. */
export const PortalInvoiceStatus = Type.Union([Type.Literal('open'), Type.Literal('paid'), Type.Literal('void'), Type.Literal('uncollectible')]);
