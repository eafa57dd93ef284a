/**
 * Every configuration variable the processes read, in one place. The README's configuration table
 * lists the same variables; keep the two in step.
 */
export interface AppConfig {
  /** PostgreSQL connection string. Required by the API, worker and migrations. */
  databaseUrl: string;
  temporal: {
    address: string;
    namespace: string;
    /** Task queue the billing workflows and activities run on. */
    taskQueue: string;
  };
  api: {
    host: string;
    port: number;
    /** Public base URL used in links sent to customers (payment pages, docs). */
    publicUrl: string;
  };
  logLevel: string;
  /** `sk_...` selects the Stripe gateway; unset selects the sandbox gateway. */
  stripeSecretKey?: string;
  /** Optional Stripe API host override (stripe-mock in the contract test), e.g. http://localhost:12111 */
  stripeApiBase?: string;
  /** `re_...` selects Resend delivery; unset keeps emails in the outbox only. */
  resendApiKey?: string;
  emailFrom: string;
  /** Prefix of invoice numbers: "INV-" gives INV-000001. */
  invoiceNumberPrefix: string;
  /** When set, the API makes sure an admin key with this exact value exists (bootstrap for automation). */
  adminApiKey?: string;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) {
    throw new Error(`${name} must be a TCP port number, got "${raw}"`);
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const databaseUrl = nonEmpty(env.DATABASE_URL);
  if (!databaseUrl) {
    throw new Error('DATABASE_URL is not set (e.g. postgres://user:pass@localhost:5432/billing); `npm start` sets it for you');
  }
  const port = intFromEnv(env, 'PORT', 3000);
  const host = nonEmpty(env.HOST) ?? '127.0.0.1';
  return {
    databaseUrl,
    temporal: {
      address: nonEmpty(env.TEMPORAL_ADDRESS) ?? '127.0.0.1:7233',
      namespace: nonEmpty(env.TEMPORAL_NAMESPACE) ?? 'default',
      taskQueue: nonEmpty(env.TEMPORAL_TASK_QUEUE) ?? 'billing',
    },
    api: {
      host,
      port,
      publicUrl: nonEmpty(env.PUBLIC_URL) ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`,
    },
    logLevel: nonEmpty(env.LOG_LEVEL) ?? 'info',
    stripeSecretKey: nonEmpty(env.STRIPE_SECRET_KEY),
    stripeApiBase: nonEmpty(env.STRIPE_API_BASE),
    resendApiKey: nonEmpty(env.RESEND_API_KEY),
    emailFrom: nonEmpty(env.EMAIL_FROM) ?? 'Billing <billing@example.com>',
    adminApiKey: nonEmpty(env.ADMIN_API_KEY),
    invoiceNumberPrefix: env.INVOICE_NUMBER_PREFIX ?? 'INV-',
  };
}
