/**
 * Every configuration variable the processes read, in one place. The README's configuration table
 * lists the same variables; keep the two in step.
 */
import { DEFAULT_INVOICE_NUMBER_FORMAT, validateInvoiceNumberFormat } from './services/invoices/invoice-numbering';
import { DEFAULT_DUNNING_POLICY, dunningPolicyProblem, type DunningPolicy } from './domain/dunning';
import { parsePercentage } from './domain/pricing';
import { MIN_LINK_SIGNING_SECRET_LENGTH } from './services/access/invoice-links';

export interface AppConfig {
  /** PostgreSQL connection string. Required by the API, worker and migrations. */
  databaseUrl: string;
  temporal: {
    address: string;
    namespace: string;
    /** Task queue the billing workflows and activities run on. */
    taskQueue: string;
    /**
     * WORKER_MAX_CACHED_WORKFLOWS: workflows a worker keeps in memory between their tasks. A cached
     * workflow costs worker memory while it sleeps; an evicted one is replayed from its history when
     * it wakes (see DEFAULT_MAX_CACHED_WORKFLOWS).
     */
    maxCachedWorkflows: number;
  };
  api: {
    host: string;
    port: number;
    /** Public base URL used in links sent to customers (payment pages, docs). */
    publicUrl: string;
    /** PORTAL_URL: the customer portal's page; a portal session's `url` is this with `#token=...` (default PUBLIC_URL + `/portal`). */
    portalUrl: string;
    /** PORTAL_REGISTRATION: `on` (default) lets new customers register at /portal/register; `off` answers it 404. */
    portalRegistration: boolean;
    /** RATE_LIMIT_*: the abuse limits. */
    rateLimits: RateLimits;
    /** REQUEST_TIMEOUT_MS: a request must arrive whole within this (default 30 s). */
    requestTimeoutMs: number;
    /** TRUST_PROXY: `true`, or the proxies' addresses/CIDRs (comma-separated), whose X-Forwarded-For gives the client IP; default none. */
    trustProxy: boolean | string;
  };
  logLevel: string;
  /**
   * LINK_SIGNING_SECRET: signs the links that need no login (hosted invoice pages,
   * services/access/invoice-links.ts). Optional here so tools that only read the database load the
   * config; the API and the worker refuse to start without it (`requireLinkSigningSecret`).
   */
  linkSigningSecret?: string;
  /** `sk_...` selects the Stripe gateway; unset selects the sandbox gateway. */
  stripeSecretKey?: string;
  /** Optional Stripe API host override (stripe-mock in the contract test), e.g. http://localhost:12111 */
  stripeApiBase?: string;
  /**
   * `pk_...`: with `stripeSecretKey`, customers enter cards through Stripe.js (the API creates the
   * SetupIntents, the page mounts Stripe's Payment Element); without both, the sandbox card form.
   */
  stripePublishableKey?: string;
  /** Signing secret (`whsec_...`) of the Stripe webhook endpoint; unset turns `POST /v1/webhooks/stripe` off. */
  stripeWebhookSecret?: string;
  /** `re_...` selects Resend delivery; unset keeps emails in the outbox only. */
  resendApiKey?: string;
  /** DEV_MAIL_DIR: development only; without Resend, delivered emails are also written there as .eml (set by `npm start`). */
  devMailDir?: string;
  emailFrom: string;
  /** Prefix of invoice numbers: "INV-" gives INV-000001. */
  invoiceNumberPrefix: string;
  /** Digits the invoice number's sequence is zero-padded to: 6 gives INV-000001. */
  invoiceNumberPadding: number;
  /** When set, the API makes sure an admin key with this exact value exists (bootstrap for automation). */
  adminApiKey?: string;
  /** What the worker does after a failed charge (DUNNING_RETRY_DAYS, DUNNING_INVOICE_AFTER_FAILURE, DUNNING_SUBSCRIPTION_AFTER_FAILURE). */
  dunningPolicy: DunningPolicy;
  /** CANCELLATION_REQUESTS: `approval` (customers' requests wait for an operator) or `immediate` (applied as made). */
  cancellationRequests: 'approval' | 'immediate';
  /** Quotes: the discount above which an admin approves before sending (QUOTE_APPROVAL_DISCOUNT_PERCENT), reminders before expiry (QUOTE_REMINDER_DAYS). */
  quotes: QuoteConfig;
}

export interface QuoteConfig {
  /** A quote whose one-time discount is above this share (millionths; 20 % = 200000) needs an admin's approval. */
  approvalThresholdPpm: number;
  /** Days before a quote's expiry date a reminder goes to signers who have not signed. */
  reminderDaysBefore: number[];
}

/** The API's abuse limits (docs/api-guide.md, "Limits and refused input"); every one answers 429 with `Retry-After`. */
export interface RateLimits {
  /** Requests per second per credential (API key or portal session); without one, per client IP (RATE_LIMIT_PER_SECOND). */
  perCredentialPerSecond: number;
  /** Requests per minute per client IP on public routes: quote links, webhooks, health, docs (RATE_LIMIT_PUBLIC_PER_MINUTE). */
  publicPerMinute: number;
  /** Failed authentications (401) per client IP within the window; beyond it, 429 until the window ends (RATE_LIMIT_AUTH_FAILURES). */
  authFailures: number;
  /** RATE_LIMIT_AUTH_FAILURE_WINDOW_SECONDS. */
  authFailureWindowSeconds: number;
  /**
   * Requests per hour per client IP to each of the portal's sign-in and registration forms (asking for a
   * link, confirming one, registering): far below the public per-minute budget, as each sends an email,
   * opens a session or creates a customer (RATE_LIMIT_PORTAL_ACCESS_PER_HOUR).
   */
  portalAccessPerHour: number;
  /**
   * Card payments per hour per client IP on each page form that charges or saves a card entered there
   * (checkout, hosted invoice, the portal's new card): a card tester's many small tries stop here
   * (RATE_LIMIT_CARD_ATTEMPTS_PER_HOUR).
   */
  cardAttemptsPerHour: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  perCredentialPerSecond: 100,
  publicPerMinute: 120,
  authFailures: 30,
  authFailureWindowSeconds: 600,
  portalAccessPerHour: 20,
  cardAttemptsPerHour: 30,
};

/**
 * The worker's workflow cache. The SDK sizes it from the heap limit (2,310 workflows with Node's
 * default heap here), and every cached sleeping subscription holds worker memory: 2,000 asleep took
 * a worker from 442 to 1,569 MiB. With 50, a worker's memory stops growing with the subscriptions it
 * runs (+138 MiB with 2,000 asleep, +134 MiB with 10,000), and 50 stays above the 40 workflow tasks it
 * runs at once. The price is replays: an evicted subscription replays its (continued-as-new, short)
 * history when it wakes, and while more workflows are active than the cache holds (a renewal burst),
 * each of their tasks replays: 1,000 due at once ran at 7.5 renewals/s against 12.7/s fully cached.
 * bench/README.md "Worker memory with sleeping subscriptions" has the runs behind these figures.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 50;

function positiveIntFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a whole number above 0, got "${raw}"`);
  return value;
}

function rateLimitsFromEnv(env: NodeJS.ProcessEnv): RateLimits {
  const d = DEFAULT_RATE_LIMITS;
  return {
    perCredentialPerSecond: positiveIntFromEnv(env, 'RATE_LIMIT_PER_SECOND', d.perCredentialPerSecond),
    publicPerMinute: positiveIntFromEnv(env, 'RATE_LIMIT_PUBLIC_PER_MINUTE', d.publicPerMinute),
    authFailures: positiveIntFromEnv(env, 'RATE_LIMIT_AUTH_FAILURES', d.authFailures),
    authFailureWindowSeconds: positiveIntFromEnv(env, 'RATE_LIMIT_AUTH_FAILURE_WINDOW_SECONDS', d.authFailureWindowSeconds),
    portalAccessPerHour: positiveIntFromEnv(env, 'RATE_LIMIT_PORTAL_ACCESS_PER_HOUR', d.portalAccessPerHour),
    cardAttemptsPerHour: positiveIntFromEnv(env, 'RATE_LIMIT_CARD_ATTEMPTS_PER_HOUR', d.cardAttemptsPerHour),
  };
}

/** TRUST_PROXY: unset or "false" trusts no proxy; "true" trusts any; otherwise addresses or CIDRs, comma-separated. */
function trustProxyFromEnv(env: NodeJS.ProcessEnv): boolean | string {
  const raw = nonEmpty(env.TRUST_PROXY);
  if (raw === undefined || raw === 'false') return false;
  return raw === 'true' ? true : raw;
}

export const DEFAULT_QUOTE_CONFIG: QuoteConfig = { approvalThresholdPpm: 200_000, reminderDaysBefore: [3] };

/** QUOTE_APPROVAL_DISCOUNT_PERCENT ("20", up to 4 decimals) and QUOTE_REMINDER_DAYS ("7,1" or "none"). */
function quoteConfigFromEnv(env: NodeJS.ProcessEnv): QuoteConfig {
  const threshold = nonEmpty(env.QUOTE_APPROVAL_DISCOUNT_PERCENT);
  let approvalThresholdPpm = DEFAULT_QUOTE_CONFIG.approvalThresholdPpm;
  if (threshold !== undefined) {
    try {
      approvalThresholdPpm = parsePercentage(threshold, 'QUOTE_APPROVAL_DISCOUNT_PERCENT');
    } catch {
      throw new Error(`QUOTE_APPROVAL_DISCOUNT_PERCENT must be a percentage from 0 to 100 with at most 4 decimals, got "${threshold}"`);
    }
  }
  const days = nonEmpty(env.QUOTE_REMINDER_DAYS);
  let reminderDaysBefore = DEFAULT_QUOTE_CONFIG.reminderDaysBefore;
  if (days !== undefined) {
    reminderDaysBefore = days === 'none' ? [] : days.split(',').map((d) => Number(d.trim()));
    if (reminderDaysBefore.some((d) => !Number.isInteger(d) || d < 1 || d > 365) || new Set(reminderDaysBefore).size !== reminderDaysBefore.length) {
      throw new Error(`QUOTE_REMINDER_DAYS must be distinct whole days from 1 to 365 separated by commas (e.g. "7,1") or "none", got "${days}"`);
    }
  }
  return { approvalThresholdPpm, reminderDaysBefore };
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

/** The dunning policy from DUNNING_* variables, each defaulting to DEFAULT_DUNNING_POLICY's value. */
function dunningPolicyFromEnv(env: NodeJS.ProcessEnv): DunningPolicy {
  const days = nonEmpty(env.DUNNING_RETRY_DAYS);
  const policy: DunningPolicy = {
    retryDaysAfterFirstFailure:
      days === undefined ? DEFAULT_DUNNING_POLICY.retryDaysAfterFirstFailure : days === 'none' ? [] : days.split(',').map((d) => Number(d.trim())),
    invoiceAfterFailure: (nonEmpty(env.DUNNING_INVOICE_AFTER_FAILURE) ?? DEFAULT_DUNNING_POLICY.invoiceAfterFailure) as DunningPolicy['invoiceAfterFailure'],
    subscriptionAfterFailure: (nonEmpty(env.DUNNING_SUBSCRIPTION_AFTER_FAILURE) ??
      DEFAULT_DUNNING_POLICY.subscriptionAfterFailure) as DunningPolicy['subscriptionAfterFailure'],
  };
  const problem = dunningPolicyProblem(policy);
  if (problem) {
    throw new Error(
      `dunning policy: ${problem} (DUNNING_RETRY_DAYS="${env.DUNNING_RETRY_DAYS ?? ''}", e.g. "1,3,5" or "none"; ` +
        `DUNNING_INVOICE_AFTER_FAILURE past_due|uncollectible; DUNNING_SUBSCRIPTION_AFTER_FAILURE past_due|unpaid|canceled)`,
    );
  }
  return policy;
}

/**
 * STRIPE_PUBLISHABLE_KEY: the browser's key, of the same account and mode as the secret key. A
 * secret key pasted here would be published in every card page, so anything but `pk_` stops the start.
 */
function publishableKeyFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const key = nonEmpty(env.STRIPE_PUBLISHABLE_KEY);
  if (key === undefined) return undefined;
  if (!/^pk_(test|live)_/.test(key)) {
    throw new Error('STRIPE_PUBLISHABLE_KEY must be the publishable key (pk_test_... or pk_live_...), never the secret key');
  }
  const secret = nonEmpty(env.STRIPE_SECRET_KEY);
  const modeOf = (k: string) => (/^(sk|rk|pk)_live_/.test(k) ? 'live' : 'test');
  if (secret !== undefined && modeOf(secret) !== modeOf(key)) {
    throw new Error(`STRIPE_PUBLISHABLE_KEY is a ${modeOf(key)} key but STRIPE_SECRET_KEY a ${modeOf(secret)} one: both must be of the same mode`);
  }
  return key;
}

function webhookSecretFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const secret = nonEmpty(env.STRIPE_WEBHOOK_SECRET);
  // A key pasted in the wrong variable would make every delivery fail its signature check, silently.
  if (secret !== undefined && !secret.startsWith('whsec_')) {
    throw new Error('STRIPE_WEBHOOK_SECRET must be the webhook endpoint\'s signing secret (whsec_...), not an API key');
  }
  return secret;
}

/** PORTAL_URL: an absolute http(s) URL without a fragment (the session's token goes there). */
function portalUrlFromEnv(env: NodeJS.ProcessEnv, publicUrl: string): string {
  const raw = nonEmpty(env.PORTAL_URL);
  if (raw === undefined) return `${publicUrl.replace(/\/+$/, '')}/portal`;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || raw.includes('#')) {
    throw new Error(`PORTAL_URL must be an absolute http or https URL without a #fragment (e.g. https://billing.example.com/portal), got "${raw}"`);
  }
  return raw;
}

function portalRegistrationFromEnv(env: NodeJS.ProcessEnv): boolean {
  const value = nonEmpty(env.PORTAL_REGISTRATION) ?? 'on';
  if (value !== 'on' && value !== 'off') throw new Error(`PORTAL_REGISTRATION must be on or off, got "${value}"`);
  return value === 'on';
}

/** LINK_SIGNING_SECRET: at least MIN_LINK_SIGNING_SECRET_LENGTH characters when set. */
function linkSigningSecretFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const secret = nonEmpty(env.LINK_SIGNING_SECRET);
  if (secret !== undefined && secret.length < MIN_LINK_SIGNING_SECRET_LENGTH) {
    throw new Error(
      `LINK_SIGNING_SECRET must be at least ${MIN_LINK_SIGNING_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 48\`), got ${secret.length}`,
    );
  }
  return secret;
}

/** The API and the worker sign and check customer links: without the secret they do not start. */
export function requireLinkSigningSecret(config: AppConfig): string {
  if (!config.linkSigningSecret) {
    throw new Error(
      `LINK_SIGNING_SECRET is not set: a random value of at least ${MIN_LINK_SIGNING_SECRET_LENGTH} characters, the same for the API and the worker ` +
        '(e.g. `openssl rand -base64 48`); `npm start` makes one for you',
    );
  }
  return config.linkSigningSecret;
}

function cancellationRequestsFromEnv(env: NodeJS.ProcessEnv): 'approval' | 'immediate' {
  const mode = nonEmpty(env.CANCELLATION_REQUESTS) ?? 'approval';
  if (mode !== 'approval' && mode !== 'immediate') throw new Error(`CANCELLATION_REQUESTS must be approval or immediate, got "${mode}"`);
  return mode;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const databaseUrl = nonEmpty(env.DATABASE_URL);
  if (!databaseUrl) {
    throw new Error('DATABASE_URL is not set (e.g. postgres://user:pass@localhost:5432/billing); `npm start` sets it for you');
  }
  const port = intFromEnv(env, 'PORT', 3000);
  const host = nonEmpty(env.HOST) ?? '127.0.0.1';
  const numbering = validateInvoiceNumberFormat({
    prefix: env.INVOICE_NUMBER_PREFIX ?? DEFAULT_INVOICE_NUMBER_FORMAT.prefix,
    padding: nonEmpty(env.INVOICE_NUMBER_PADDING) ? Number(env.INVOICE_NUMBER_PADDING) : DEFAULT_INVOICE_NUMBER_FORMAT.padding,
  });
  const publicUrl = nonEmpty(env.PUBLIC_URL) ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
  return {
    databaseUrl,
    temporal: {
      address: nonEmpty(env.TEMPORAL_ADDRESS) ?? '127.0.0.1:7233',
      namespace: nonEmpty(env.TEMPORAL_NAMESPACE) ?? 'default',
      taskQueue: nonEmpty(env.TEMPORAL_TASK_QUEUE) ?? 'billing',
      maxCachedWorkflows: positiveIntFromEnv(env, 'WORKER_MAX_CACHED_WORKFLOWS', DEFAULT_MAX_CACHED_WORKFLOWS),
    },
    api: {
      host,
      port,
      publicUrl,
      portalUrl: portalUrlFromEnv(env, publicUrl),
      portalRegistration: portalRegistrationFromEnv(env),
      rateLimits: rateLimitsFromEnv(env),
      requestTimeoutMs: positiveIntFromEnv(env, 'REQUEST_TIMEOUT_MS', 30_000),
      trustProxy: trustProxyFromEnv(env),
    },
    logLevel: nonEmpty(env.LOG_LEVEL) ?? 'info',
    linkSigningSecret: linkSigningSecretFromEnv(env),
    stripeSecretKey: nonEmpty(env.STRIPE_SECRET_KEY),
    stripeApiBase: nonEmpty(env.STRIPE_API_BASE),
    stripePublishableKey: publishableKeyFromEnv(env),
    stripeWebhookSecret: webhookSecretFromEnv(env),
    resendApiKey: nonEmpty(env.RESEND_API_KEY),
    devMailDir: nonEmpty(env.DEV_MAIL_DIR),
    emailFrom: nonEmpty(env.EMAIL_FROM) ?? 'Billing <billing@example.com>',
    adminApiKey: nonEmpty(env.ADMIN_API_KEY),
    invoiceNumberPrefix: numbering.prefix,
    invoiceNumberPadding: numbering.padding,
    dunningPolicy: dunningPolicyFromEnv(env),
    quotes: quoteConfigFromEnv(env),
    cancellationRequests: cancellationRequestsFromEnv(env),
  };
}
