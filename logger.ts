import pino, { type Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear: API keys, gateway secrets and card details must never
 * reach a log line, including request headers logged by Fastify.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers["stripe-signature"]',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  '*.apiKey',
  '*.secretKey',
  '*.stripeSecretKey',
  '*.resendApiKey',
  '*.adminApiKey',
  '*.password',
  '*.secret',
  'config.databaseUrl',
];

/** Path segments that are credentials: the token after `/public/<resource>/` (a quote signer's link). */
const PUBLIC_TOKEN_SEGMENT = /(\/public\/[^/?#]+\/)[^/?#]+/gi;
/** The token of a portal sign-in link (`/portal/sign-in/psl_...`, web/portal/sign-in-pages.ts). */
const SIGN_IN_TOKEN_SEGMENT = /(\/portal\/sign-in\/)[^/?#]+/gi;
/**
 * The token of a customer page reached through an emailed link: `/quotes/<token>` (the quote
 * acceptance page), at the root of the path only, so `/v1/quotes/<id>` (an id, no credential) stays readable.
 */
const PAGE_TOKEN_SEGMENT = /^((?:[a-z][a-z0-9+.-]*:\/\/[^/?#]*)?\/quotes\/)[^/?#]+/i;
/**
 * The token of a hosted invoice page (`/invoices/<id>/<token>`, web/hosted-invoice) and of a checkout's
 * confirmation (`/pay/<link id>/complete/cst_...`, web/checkout), at the root of the path only: the
 * API's `/v1/invoices/<id>/pdf` carries no credential and stays readable.
 */
const HOSTED_INVOICE_TOKEN_SEGMENT = /^((?:[a-z][a-z0-9+.-]*:\/\/[^/?#]*)?\/invoices\/[^/?#]+\/)[^/?#]+/i;
const CHECKOUT_TOKEN_SEGMENT = /^((?:[a-z][a-z0-9+.-]*:\/\/[^/?#]*)?\/pay\/[^/?#]+\/complete\/)[^/?#]+/i;
/** Query or fragment values named like credentials: `token=`, `key=`, `api_key=`, `access_token=`, `secret=`... */
const CREDENTIAL_PARAM = /([?&#;][^=&#;]*(?:token|key|secret|password)=)[^&#;]*/gi;

/**
 * A URL as it may be logged: credentials in it replaced by `[redacted]`. It is percent-decoded first
 * (when it decodes), so `/v1/%70ublic/quotes/<token>` or `?%74oken=...`, which reach the same handler,
 * are redacted too; a request line is logged in its decoded form.
 */
export function redactUrl(url: string): string {
  let decoded = url;
  try {
    decoded = decodeURIComponent(url);
  } catch {
    // Not valid percent-encoding: match the raw spelling.
  }
  return decoded
    .replace(PUBLIC_TOKEN_SEGMENT, '$1[redacted]')
    .replace(PAGE_TOKEN_SEGMENT, '$1[redacted]')
    .replace(HOSTED_INVOICE_TOKEN_SEGMENT, '$1[redacted]')
    .replace(CHECKOUT_TOKEN_SEGMENT, '$1[redacted]')
    .replace(SIGN_IN_TOKEN_SEGMENT, '$1[redacted]')
    .replace(CREDENTIAL_PARAM, '$1[redacted]');
}

/**
 * Fastify's request serializer (method, url, host, remote address and port) with the URL redacted.
 * A logger's own serializers win over Fastify's defaults, so every request line goes through it.
 */
export function serializeRequest(req: {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  headers?: Record<string, unknown>;
  socket?: { remotePort?: number };
}): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** The options every process logger is built with (also used by the logging tests). */
export const loggerOptions = { redact: { paths: redactPaths, censor: '[redacted]' }, serializers: { req: serializeRequest } };

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, ...loggerOptions });
}

export type { Logger };
