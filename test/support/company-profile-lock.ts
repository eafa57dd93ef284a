import type { Knex } from '@mikro-orm/postgresql';
import type { MikroORM } from '../../db/orm';

/**
 * The company profile is one row for the whole database, and `npm test` runs test files side by side
 * against one database. A file that sets the profile and then checks what it puts on emails (the
 * merchant's address for order confirmations, the branding) holds the profile from its change to its
 * last such check, so that another file's profile never lands in between: the company profile's API
 * test, the checkout service test and the checkout pages test each set a profile of their own.
 *
 * A PostgreSQL advisory lock taken by a transaction left open on a connection of the file's own ORM
 * pool: released by `releaseCompanyProfile`, or by PostgreSQL when that connection ends.
 */
const COMPANY_PROFILE_LOCK = 730_100_042; // any number, the same for every file

/** Each test file has its own module registry, so this is the file's own hold. */
let held: Knex.Transaction | undefined;

/** Waits until no other test file holds the company profile, then holds it (once per file at a time). */
export async function holdCompanyProfile(orm: MikroORM): Promise<void> {
  if (held) return;
  const transaction = await orm.em.getConnection().getKnex().transaction();
  try {
    await transaction.raw('select pg_advisory_xact_lock(?)', [COMPANY_PROFILE_LOCK]);
  } catch (error) {
    await transaction.rollback().catch(() => undefined);
    throw error;
  }
  held = transaction;
}

/** Lets other test files change the company profile again (nothing if this file holds it not). */
export async function releaseCompanyProfile(): Promise<void> {
  const transaction = held;
  held = undefined;
  await transaction?.commit();
}
