import { Migration } from '@mikro-orm/migrations';

/**
 * Rate-limit counters shared by every API process (a limit kept in one process's memory would let a
 * caller spread over N processes make N times the attempts). UNLOGGED: a counter lost in a crash only
 * restarts a window early, and skipping the write-ahead log keeps the per-request upsert cheap.
 */
export class Migration20261202100000_rate_limits extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create unlogged table rate_limit_counters (
        key text primary key,
        hits integer not null,
        window_ends_at timestamptz not null
      );
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop table rate_limit_counters;');
  }
}
