/**
 * The updates a long-lived workflow applied recently, by update id. Temporal deduplicates an update id
 * only within one run: a caller that retries with the same id after the workflow continued as new would
 * otherwise apply its change twice (or be refused by a rule the first attempt already changed). The
 * ledger travels through continue-as-new, so the new run answers a repeated id with the state as it is,
 * without applying the change again. The API derives update ids from the request's Idempotency-Key.
 *
 * Deterministic: reads only `currentUpdateInfo()`.
 */
import { currentUpdateInfo } from '@temporalio/workflow';

/** How many applied update ids are remembered: far more than could be retried in one answer deadline. */
export const REMEMBERED_UPDATE_IDS = 500;

export class UpdateLedger {
  private readonly recent: string[];
  private readonly known: Set<string>;
  private appliedThisRun = 0;

  constructor(carried: readonly string[] = []) {
    this.recent = carried.slice(-REMEMBERED_UPDATE_IDS);
    this.known = new Set(this.recent);
  }

  /** The update being handled (validator or handler) was applied already, in this run or an earlier one. */
  get repeated(): boolean {
    const id = currentUpdateInfo()?.id;
    return id !== undefined && this.known.has(id);
  }

  /** Notes that the update being handled applies its change. */
  applied(): void {
    this.appliedThisRun += 1;
    const id = currentUpdateInfo()?.id;
    if (id === undefined || this.known.has(id)) return;
    this.recent.push(id);
    this.known.add(id);
    if (this.recent.length > REMEMBERED_UPDATE_IDS) this.known.delete(this.recent.shift()!);
  }

  /** Changes applied by updates in this run: a count the run hands over on (run-length.ts). */
  get appliedCount(): number {
    return this.appliedThisRun;
  }

  /** What the next run starts from. */
  carry(): string[] {
    return [...this.recent];
  }
}
