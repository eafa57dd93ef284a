/**
 * Old command paths of the quote workflow, kept so runs started before a change still replay. Each
 * `patched()` id records a marker in runs that take the new path; a run without it replays the old one.
 * How a patch goes: see workflows/subscription/legacy.ts (a quote run ends when its quote does).
 */
import { patched } from '@temporalio/workflow';

/**
 * A payment outcome that arrives while the awaiting-payment state is being written is acted on at
 * once. Before, the loop went back to sleep after that write and waited for a further change that
 * never came: the quote stayed awaiting payment although its invoice was paid. Introduced 2026-12-04.
 * The marker is recorded only in runs where the outcome did arrive during the write, so histories
 * without that race replay unchanged. Can go when no quote run started before 2026-12-05 is open.
 */
export const PAYMENT_OUTCOME_DURING_WRITE = 'quote-payment-outcome-during-write';

/** True when the outcome came during the write and this run takes the new path (acts on it now). */
export const settledDuringWrite = (settled: boolean): boolean => settled && patched(PAYMENT_OUTCOME_DURING_WRITE);
