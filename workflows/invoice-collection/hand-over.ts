/**
 * Continue-as-new for invoice collection. An open invoice can wait months (a retry schedule with
 * grace, an emailed invoice nobody pays, a written-off one that may still be paid), and every
 * webhook, operator action and timer adds to its history. When Temporal suggests it, or the history
 * passes HISTORY_EVENTS_PER_RUN (workflows/shared/run-length.ts, the threshold every workflow uses),
 * the run hands its whole state to a fresh run of the same workflow id at a safe point: while it
 * waits, with no operator request or handler in flight.
 *
 * No `patched()` here, unlike the owner workflows' RunLength: a collection's history is tens of
 * events (the recorded dunning history has 79), far below both the
 * threshold and the server's suggestion, so no recorded or running history can see this check come
 * true where the code before it did not; the replay test confirms it.
 */
import { allHandlersFinished, condition, workflowInfo } from '@temporalio/workflow';
import type { DunningPolicy } from '../../domain/dunning';
import type { CollectionInvoice } from '../../activities/collection';
import { HISTORY_EVENTS_PER_RUN } from '../shared/run-length';
import type { CollectionView, InvoiceCollectionInput } from './contract';

/**
 * Where the collection process stands, so a fresh run resumes at the same step:
 * - `opening`: the invoice is not read yet (a first run only);
 * - `awaiting_reminder`: emailed, the overdue reminder not sent yet;
 * - `dunning`: charged at least once; retrying on the policy's schedule or, past due, waiting for a
 *   new card or an operator's retry;
 * - `awaiting_settlement`: nothing left to do but wait for a payment or a void.
 */
export type CollectionPhase = 'opening' | 'awaiting_reminder' | 'dunning' | 'awaiting_settlement';

/** Everything a run knows that the next one needs: the view, the schedule, the handlers' memory. */
export interface CarriedCollection {
  phase: CollectionPhase;
  view: CollectionView;
  invoice: CollectionInvoice;
  policy: DunningPolicy;
  amountDue: number;
  amountPaid: number;
  writtenOff: boolean;
  pastDueAt: string | null;
  /** When the overdue reminder of an emailed invoice is due (ms since the epoch). */
  remindAt: number | null;
  /** The dunning schedule: counted from the first failure, in retries used (taken or skipped). */
  firstFailureAt: number | null;
  retriesUsed: number;
  ownerToldOfFailure: boolean;
  invoiceEmails: number;
  seenEvents: string[];
  lastEventAt: number;
  /** Update ids applied lately (workflows/shared/update-ledger.ts); absent in state carried before it. */
  updateIds?: string[];
}

/**
 * What the workflow is started with: the contract's input, plus what only a continued run carries.
 * Starters pass an InvoiceCollectionInput; the extra fields are the workflow's own.
 */
export interface InvoiceCollectionRunInput extends InvoiceCollectionInput {
  /** Set when a run continued as new: the state it handed over. */
  carriedState?: CarriedCollection;
  /** HISTORY_EVENTS_PER_RUN unless set (tests set it low to see a hand-over). */
  historyEventsPerRun?: number;
}

/** True once this run should hand over: Temporal suggests it, or the history passed the threshold. */
export function continueAsNewDue(input: InvoiceCollectionRunInput): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= (input.historyEventsPerRun ?? HISTORY_EVENTS_PER_RUN);
}

/**
 * Waits for the safe point: every handler finished. Gives up (returns false) as soon as `workToDo`
 * says the process has something to act on, such as an operator's retry that an update handler is
 * waiting for: the process acts first, and hands over at its next wait.
 */
export async function idleForHandOver(workToDo: () => boolean): Promise<boolean> {
  await condition(() => allHandlersFinished() || workToDo());
  return !workToDo();
}
