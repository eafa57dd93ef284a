/** The request and response shapes of `/healthz and /readyz`. */
import { Type } from 'typebox';

export const Check = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) });
export const Readiness = Type.Object({ status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]), database: Check, temporal: Check });
