/**
 * The state a long-lived workflow owns, as far as it is written to the database. Every workflow keeps
 * its entity's state in memory and writes it through an activity; callers of an update read the
 * database next, so an update answers only once its change is written.
 *
 * `version` counts state changes; `recordedVersion` is the last one written. A change that lands
 * while a write is running is not in that write, so the workflow writes until it has caught up.
 * Deterministic: only workflow APIs, no I/O.
 */
import { allHandlersFinished, condition } from '@temporalio/workflow';

export class RecordedState {
  private version = 1;
  private recordedVersion = 0;

  /** `write` records the current state (an activity call, plus search attributes if any). */
  constructor(private readonly write: () => Promise<void>) {}

  /** Marks the state as changed: the next write records it, and the main loop wakes for it. */
  changed(): void {
    this.version += 1;
  }

  /** Some change is not in the database yet. */
  get behind(): boolean {
    return this.recordedVersion < this.version;
  }

  /** A mark to compare with later (`changedSince`), e.g. to wake a sleeping loop on any change. */
  get mark(): number {
    return this.version;
  }

  changedSince(mark: number): boolean {
    return this.version !== mark;
  }

  /** One write of the state as it is now. */
  async record(): Promise<void> {
    const target = this.version;
    await this.write();
    this.recordedVersion = Math.max(this.recordedVersion, target);
  }

  /**
   * Writes until every change is recorded: a change that lands while the state is being written needs
   * another write, or the update that made it would wait for a write that never comes.
   */
  async recordUntilCaughtUp(): Promise<void> {
    while (this.behind) await this.record();
  }

  /** Waits until every change made so far is written, then answers: the caller's next read sees it. */
  async whenRecorded<T>(answer: () => T): Promise<T> {
    const target = this.version;
    await condition(() => this.recordedVersion >= target);
    return answer();
  }

  /**
   * Sleeps until `at` (epoch ms; Infinity for no timer) unless the state changes first, or `alsoWakeFor`
   * turns true. True when the time came. Only changes after this call wake it: a change made during an
   * earlier await (a write, say) does not, so check what ends the wait after the last await and just
   * before calling (the quote once slept through a payment that arrived during its write).
   */
  async sleepUntil(at: number, alsoWakeFor: () => boolean = () => false): Promise<boolean> {
    const seen = this.version;
    const woken = (): boolean => this.version !== seen || alsoWakeFor();
    if (at === Number.POSITIVE_INFINITY) {
      await condition(woken);
      return false;
    }
    const wait = at - Date.now();
    if (wait <= 0) return true;
    return !(await condition(woken, wait));
  }

  /**
   * Lets running handlers finish before the run ends (continue-as-new, or the end). They answer once
   * their change is recorded, so the state is written for them meanwhile: waiting for the handlers
   * alone would leave one that changed the state waiting for a write that never comes.
   */
  async finishHandlers(): Promise<void> {
    for (;;) {
      if (this.behind) {
        await this.record();
        continue;
      }
      if (allHandlersFinished()) return;
      await condition(() => allHandlersFinished() || this.behind);
    }
  }
}
