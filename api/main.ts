/** The API process: opens PostgreSQL and Temporal, makes sure an admin key exists, then listens. */
import { writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, requireLinkSigningSecret } from '../config';
import { createLogger } from '../logger';
import { openDatabase } from '../db/orm';
import { ensureAdminKey } from '../services/access/api-keys';
import { buildApp } from './app';
import { cardEntryFor } from '../web/payments/card-entry';

async function main(): Promise<void> {
  const config = loadConfig();
  const linkSigningSecret = requireLinkSigningSecret(config);
  const log = createLogger('api', config.logLevel);
  const orm = await openDatabase(config.databaseUrl);
  const connection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });

  const issued = await ensureAdminKey(orm.em.fork(), config.adminApiKey);
  if (issued) {
    // Shown once: only its hash is stored.
    process.stdout.write(`\n  First admin API key (store it now, it is not shown again):\n\n    ${issued.secret}\n\n`);
    const file = process.env.DEV_ADMIN_KEY_FILE;
    if (file) writeFileSync(file, `${issued.secret}\n`, { mode: 0o600 });
  }

  if (config.stripeSecretKey && !config.stripePublishableKey) {
    // The sandbox card form's test tokens work against a Stripe test account, never a live one.
    log.warn('STRIPE_SECRET_KEY is set without STRIPE_PUBLISHABLE_KEY: customer pages show the sandbox card form, which takes test cards only');
  }
  const app = await buildApp({
    orm,
    temporal,
    taskQueue: config.temporal.taskQueue,
    logger: log,
    stripeWebhookSecret: config.stripeWebhookSecret,
    quotes: config.quotes,
    cancellationRequests: config.cancellationRequests,
    portalUrl: config.api.portalUrl,
    publicUrl: config.api.publicUrl,
    portalRegistration: config.api.portalRegistration,
    linkSigningSecret,
    cardEntry: cardEntryFor({
      orm,
      stripeSecretKey: config.stripeSecretKey,
      stripePublishableKey: config.stripePublishableKey,
      stripeApiBase: config.stripeApiBase,
    }),
    rateLimits: config.api.rateLimits,
    requestTimeoutMs: config.api.requestTimeoutMs,
    trustProxy: config.api.trustProxy,
    invoiceNumbering: { prefix: config.invoiceNumberPrefix, padding: config.invoiceNumberPadding },
  });
  await app.listen({ host: config.api.host, port: config.api.port });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    await app.close();
    await connection.close();
    await orm.close(true);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
