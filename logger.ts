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

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, redact: { paths: redactPaths, censor: '[redacted]' } });
}

export type { Logger };
