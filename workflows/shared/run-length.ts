/**
 * When a long-lived run (subscription, instalment plan, quote) should continue as new: when the server
 * suggests it (history size, event count or updates near their limits), or when its history passes
 * `HISTORY_EVENTS_PER_RUN` events or it applied `UPDATES_PER_RUN` updates, whichever comes first.
 * Updates and signals grow a history between billing boundaries, so the main loops check this while they sleep, not only after billing.
 *
 * CONTINUE_AS_NEW_WHEN_SUGGESTED: runs started before it (commit df146ef, 2026-12-02) ignored the
 * suggestion while sleeping; a history recorded with the suggestion set mid-sleep would replay
 * differently, so they keep the old path. It can go when no run of these three workflows started
 * before 2026-12-03 is open (a subscription continues as new at least every BOUNDARIES_PER_RUN
 * boundaries, a plan every INSTALMENTS_PER_RUN instalments; a quote ends): then `deprecatePatch`
 * for one release, then delete the id.
 */
import { patched, workflowInfo } from '@temporalio/workflow';

export const CONTINUE_AS_NEW_WHEN_SUGGESTED = 'continue-as-new-when-suggested';

/** Well under the server's own limits (suggestion at 4Ki events by default, hard limit 50Ki). */
export const HISTORY_EVENTS_PER_RUN = 10_000;

/**
 * Changes applied by updates in one run before it hands over. Temporal refuses every update to a run
 * past its total (2,000 by default) until the run continues as new, and suggests continue-as-new only
 * near it: counting here keeps a busy entity well clear of that wall whatever the server's settings.
 */
export const UPDATES_PER_RUN = 500;

export class RunLength {
  private readonly enabled: boolean;

  /**
   * `maxEvents`: from the workflow input, so a test can make a run continue as new early;
   * `updatesApplied`: the run's count of applied updates (update-ledger.ts).
   */
  constructor(
    private readonly maxEvents: number = HISTORY_EVENTS_PER_RUN,
    private readonly updatesApplied: () => number = () => 0,
  ) {
    this.enabled = patched(CONTINUE_AS_NEW_WHEN_SUGGESTED);
  }

  /** True once this run should hand over to a new one (at the loop's next safe point). */
  readonly due = (): boolean => {
    if (!this.enabled) return false;
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= this.maxEvents || this.updatesApplied() >= UPDATES_PER_RUN;
  };
}
