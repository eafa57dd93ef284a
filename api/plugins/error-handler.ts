import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DriverException, ConnectionException } from '@mikro-orm/core';
import { RuleViolation } from '../../domain/rule-violation';
import { ApiError, invalidParam, paramPath, routeNotFound, serviceUnavailable } from '../errors';
import { CHANGE_RETRY_AFTER_SECONDS, PendingChange } from '../workflow-changes';
import { ruleViolationError } from '../workflow-errors';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/customer` or `/billing_address/country` → `customer` / `billing_address[country]`, as Stripe names params. */
function paramName(error: AjvError): string {
  const parts = error.instancePath.split('/').filter(Boolean);
  if (error.keyword === 'required' && typeof error.params.missingProperty === 'string') parts.push(error.params.missingProperty);
  if (error.keyword === 'additionalProperties' && typeof error.params.additionalProperty === 'string') {
    parts.push(error.params.additionalProperty);
  }
  return paramPath(parts);
}

function validationError(error: FastifyError): ApiError {
  const first = (error.validation as AjvError[] | undefined)?.[0];
  const where = error.validationContext ?? 'body';
  if (!first) return invalidParam(where, error.message);
  const param = paramName(first);
  if (first.keyword === 'required') return invalidParam(param, `Missing required param: ${param}.`, 'parameter_missing');
  if (first.keyword === 'additionalProperties') return invalidParam(param, `Received unknown parameter: ${param}.`, 'parameter_unknown');
  return invalidParam(param || where, `Invalid ${param || where}: ${first.message ?? 'invalid value'}.`);
}

/** Temporal or PostgreSQL being down is a 503 the client may retry, never a 500. */
function isUnavailable(err: unknown): boolean {
  if (err instanceof ConnectionException) return true;
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  if (e.name === 'ServiceError' || e.name === 'ConnectionError') return true;
  if (typeof e.code === 'number' && e.code === 14 /* gRPC UNAVAILABLE */) return true;
  if (typeof e.code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03'].includes(e.code)) return true;
  // Found by fault injection (bench/chaos, PostgreSQL stopped mid-run): a pooled connection the
  // server closes mid-query fails in `pg` with a plain Error and no code ("Connection terminated
  // unexpectedly"; "... is not queryable" when reused), which MikroORM wraps in a bare
  // DriverException. That answered 500; it is the database going away, so a 503 like the rest.
  return (
    err instanceof DriverException &&
    typeof e.message === 'string' &&
    /Connection terminated|Connection ended unexpectedly|is not queryable|Timeout acquiring a connection/.test(e.message)
  );
}

/**
 * Fastify's `frameworkErrors` option: errors its router raises before any route, hook or error handler
 * runs, which Fastify would otherwise answer with a body of its own shape (`{"error": "Bad Request",
 * "statusCode": ...}`, found by schemathesis). They get the API's error shape and a 400:
 *   - FST_ERR_MAX_PARAM_LENGTH: a path parameter over the router's limit (Fastify's 414; see app.ts);
 *     ids have at most 64, so it is invalid input like a 65-character id;
 *   - FST_ERR_BAD_URL: a malformed %-escape in the path (`/v1/customers/%E0%A4%A`).
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  let apiError: ApiError;
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    apiError = new ApiError(400, 'invalid_request_error', 'parameter_invalid', 'A path parameter is too long: ids have at most 64 characters.');
  } else if (error.code === 'FST_ERR_BAD_URL') {
    apiError = new ApiError(400, 'invalid_request_error', 'url_invalid', 'The request URL is malformed (invalid percent-encoding).');
  } else {
    request.log.error({ err: error }, 'router error');
    apiError = new ApiError(500, 'api_error', 'internal_error', 'An unexpected error occurred.');
  }
  reply.status(apiError.statusCode).send(apiError.toBody());
}

export default fp(async function errorHandler(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof PendingChange) {
      // Not a failure: the change was sent and may still apply (api/workflow-changes.ts). Nor the
      // request's outcome: a retry with its Idempotency-Key must send the change again to learn it.
      request.answerIsFinal = false;
      return reply.status(202).header('retry-after', CHANGE_RETRY_AFTER_SECONDS).send(err.toBody());
    }
    let apiError: ApiError;
    if (err instanceof ApiError) apiError = err;
    else if (err instanceof RuleViolation) apiError = ruleViolationError(err);
    else if (err.validation) apiError = validationError(err);
    else if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      apiError = invalidParam('body', 'The request body is not valid JSON.');
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      apiError = new ApiError(415, 'invalid_request_error', 'unsupported_media_type', 'Send the request body as application/json.');
    } else if (err.statusCode === 413) {
      apiError = new ApiError(413, 'invalid_request_error', 'body_too_large', 'The request body is too large.');
    } else if (isUnavailable(err) || (err instanceof DriverException && isUnavailable(err))) {
      request.log.warn({ err }, 'dependency unavailable');
      apiError = serviceUnavailable('A backing service is unavailable; retry the request shortly.');
    } else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      apiError = new ApiError(err.statusCode, 'invalid_request_error', err.code ?? 'invalid_request', err.message);
    } else {
      request.log.error({ err }, 'unhandled error');
      apiError = new ApiError(500, 'api_error', 'internal_error', 'An unexpected error occurred.');
    }
    if (apiError.retryAfterSeconds !== undefined) {
      // 409 lock_timeout: nothing was done, and a retry with the same key must be free to try again.
      request.answerIsFinal = false;
      reply.header('retry-after', apiError.retryAfterSeconds);
    }
    return reply.status(apiError.statusCode).send(apiError.toBody());
  });

  app.setNotFoundHandler((request, reply) => {
    return reply.status(404).send(routeNotFound(request.method, request.url).toBody());
  });
});
