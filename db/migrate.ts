/** Applies pending migrations and exits: `tsx db/migrate.ts` (dev) or `node dist/db/migrate.js` (image). */
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { openDatabase } from './orm';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('migrate', config.logLevel);
  const orm = await openDatabase(config.databaseUrl);
  try {
    const applied = await orm.getMigrator().up();
    log.info({ applied: applied.map((m) => m.name) }, applied.length ? 'migrations applied' : 'schema up to date');
  } finally {
    await orm.close(true);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
