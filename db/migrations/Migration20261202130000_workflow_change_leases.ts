import { Migration } from '@mikro-orm/migrations';

/**
 * Short leases on a workflow's change slots, shared by every API process: a change to one entity
 * (subscription, instalment plan, quote, invoice) waits for a free slot before it is sent, so a busy
 * entity never has more updates in flight than Temporal admits (api/workflow-leases.ts). A lease
 * expires by itself, so an API process that dies holding one blocks nobody for long. UNLOGGED: a lease
 * lost in a crash only frees a slot early.
 */
export class Migration20261202130000_workflow_change_leases extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create unlogged table workflow_change_leases (
        workflow_id text not null,
        slot smallint not null,
        holder text not null,
        expires_at timestamptz not null,
        primary key (workflow_id, slot)
      );
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop table workflow_change_leases;');
  }
}
