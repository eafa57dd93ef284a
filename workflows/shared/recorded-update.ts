/**
 * An update whose rule the validator checks (so a refusal never reaches history) and whose handler
 * applies the change and answers once it is recorded (recorded-state.ts). An update id the workflow
 * applied already (in this run or one it continued from: update-ledger.ts) is answered with the state
 * as it is, neither checked nor applied again: a retry learns the outcome of its first attempt.
 */
import { setHandler } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { RecordedState } from './recorded-state';
import type { UpdateLedger } from './update-ledger';

export interface RecordedUpdates<View> {
  recorded: RecordedState;
  updates: UpdateLedger;
  view: () => View;
  /** Turns a broken rule into the failure the caller reads (rule-failure.ts). */
  asRuleFailure: (rule: () => void) => void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's own constraint on update arguments
export function setRecordedUpdate<View, Args extends any[]>(
  on: RecordedUpdates<View>,
  definition: UpdateDefinition<View, Args>,
  check: (...args: Args) => void,
  apply: (...args: Args) => void,
): void {
  setHandler<View, Args, UpdateDefinition<View, Args>>(
    definition,
    async (...args: Args) => {
      if (!on.updates.repeated) {
        apply(...args);
        on.updates.applied();
        on.recorded.changed();
      }
      return on.recorded.whenRecorded(on.view);
    },
    { validator: (...args: Args) => (on.updates.repeated ? undefined : on.asRuleFailure(() => check(...args))) },
  );
}
