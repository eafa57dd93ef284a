/**
 * One error shape for every failure, as Stripe users expect:
 * `{ "error": { "type", "code", "message", "param"? } }` with the matching HTTP status.
 */
import { Type, type Static } from 'typebox';

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'idempotency_error' | 'api_error';

export class ApiError extends Error {
  /** Sent as `Retry-After` (seconds) with the error: when a retry may succeed (409 lock_timeout). */
  retryAfterSeconds?: number;

  constructor(
    readonly statusCode: number,
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ErrorBody {
    return { error: { type: this.type, code: this.code, message: this.message, ...(this.param ? { param: this.param } : {}) } };
  }
}

/** `['billing_address', 'city']` → `billing_address[city]`: how every error names a nested param, as Stripe does. */
export const paramPath = ([head, ...rest]: readonly string[]): string => (head ?? '') + rest.map((p) => `[${p}]`).join('');

export const invalidParam = (param: string, message: string, code = 'parameter_invalid'): ApiError =>
  new ApiError(400, 'invalid_request_error', code, message, param);

/** A referenced record (in the body or query) does not exist. */
export const missingReference = (param: string, kind: string, id: string): ApiError =>
  new ApiError(400, 'invalid_request_error', 'resource_missing', `No such ${kind}: '${id}'`, param);

/** The record named in the path does not exist. */
export const notFound = (kind: string, id: string): ApiError =>
  new ApiError(404, 'invalid_request_error', 'resource_missing', `No such ${kind}: '${id}'`);

/** No route answers this method and URL. */
export const routeNotFound = (method: string, url: string): ApiError =>
  new ApiError(404, 'invalid_request_error', 'route_not_found', `Unrecognized request URL (${method}: ${url}).`);

/** The request is well formed but breaks a billing rule (currency mismatch, one-time price on a subscription...). */
export const unprocessable = (param: string | undefined, code: string, message: string): ApiError =>
  new ApiError(422, 'invalid_request_error', code, message, param);

/** The request conflicts with the record's current state (already paused, already canceled...). */
export const conflict = (code: string, message: string): ApiError => new ApiError(409, 'invalid_request_error', code, message);

export const serviceUnavailable = (message: string): ApiError => new ApiError(503, 'api_error', 'service_unavailable', message);

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      type: Type.String(),
      code: Type.String(),
      message: Type.String(),
      param: Type.Optional(Type.String()),
    }),
  },
  { $id: 'Error' },
);
export type ErrorBody = Static<typeof ErrorSchema>;
