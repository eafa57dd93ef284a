/** The API process: opens PostgreSQL and Temporal, makes sure an admin key exists, then listens. */
import { writeFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { openDatabase } from '../db/orm';
import { ensureAdminKey } from '../services/access/api-keys';
import { buildApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
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
