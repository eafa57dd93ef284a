/**
 * Collecting one invoice, from finalize to paid (or void, or written off).
 *
 * charge_automatically: charge the saved payment method. A temporary decline is retried on the
 * dunning schedule (default day +1, +3, +5 after the first failure: where it lives is said in
 * dunning.ts), the customer told each time; a permanent decline, or the last retry failing, ends the
 * schedule: the invoice goes past due or uncollectible, the customer and the account owner get the
 * final notice, and the owner (the subscription) applies the policy's outcome. Until the invoice is
 * settled a new card, an operator's "retry now", a webhook or an offline payment can still collect it.
 *
 * send_invoice: email the invoice, wait for payment (webhook or operator), remind once it is overdue.
 *
 * The workflow ends when the invoice is paid or void. An uncollectible (written-off) invoice stops
 * being charged but can still be paid or voided, so its workflow keeps waiting for that. A long wait
 * continues as new when Temporal suggests it (hand-over.ts).
 *
 * Files: collection.ts holds the state and the signal, update and query handlers; dunning.ts the
 * charge and the retry schedule; emailed-invoice.ts the send_invoice path; rules.ts what operators
 * may ask; contract.ts the public surface.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import {
  emailInvoiceUpdate,
  extendGraceUpdate,
  getCollectionQuery,
  markUncollectibleUpdate,
  paymentEventSignal,
  paymentMethodUpdatedSignal,
  recordOfflinePaymentUpdate,
  retryNowUpdate,
  skipRetryUpdate,
  voidInvoiceUpdate,
  type CollectionView,
} from './contract';
import { checkExtendGrace, checkMarkUncollectible, checkOfflinePayment, checkRetryNow, checkSettle, checkSkipRetry } from './rules';
import { InvoiceCollection } from './collection';
import { attemptCharge, retryPerPolicy, type WaitEnd } from './dunning';
import { emailTheInvoice, remindWhenOverdue } from './emailed-invoice';
import { continueAsNewDue, idleForHandOver, type InvoiceCollectionRunInput } from './hand-over';

export async function invoiceCollectionWorkflow(input: InvoiceCollectionRunInput): Promise<CollectionView> {
  const collection = new InvoiceCollection(input);
  handleQueriesAndUpdates(collection);

  // Issued: read the finalized invoice, its amount due and the dunning policy (a continued run carries them).
  if (collection.phase === 'opening') await collection.readInvoice();
  handlePaymentSignals(collection);

  if ((await collect(collection)) === 'hand_over') {
    return continueAsNew<typeof invoiceCollectionWorkflow>({ ...input, carriedState: collection.carry() });
  }
  // Answer updates that are still waiting (they see the final view) before the workflow closes.
  await condition(allHandlersFinished);
  return collection.snapshot();
}

/** The collection process, from wherever this run starts, until the invoice is paid or void. */
async function collect(c: InvoiceCollection): Promise<WaitEnd> {
  if (c.phase === 'opening') {
    if (c.settled) {
      // Paid or voided before collection started: the owner may still need to hear it.
      await c.tellOwner(c.settled);
      c.phase = 'awaiting_settlement';
    } else if (c.writtenOff) {
      c.phase = 'awaiting_settlement';
    } else if (c.input.collectionMethod === 'send_invoice') {
      await emailTheInvoice(c);
      c.phase = 'awaiting_reminder';
    } else {
      // Charge: paid at once, or a failure that starts the dunning schedule.
      await attemptCharge(c);
      c.phase = 'dunning';
    }
  }
  if (c.phase === 'awaiting_reminder') {
    if ((await remindWhenOverdue(c)) === 'hand_over') return 'hand_over';
    c.phase = 'awaiting_settlement';
  }
  if (c.phase === 'dunning') {
    // Retry per the dunning policy until paid, written off, or exhausted (then past due).
    if ((await retryPerPolicy(c)) === 'hand_over') return 'hand_over';
    c.phase = 'awaiting_settlement';
  }
  // Written off, or emailed and waiting, or past due: only a payment or a void ends collection now.
  return awaitSettlement(c);
}

async function awaitSettlement(c: InvoiceCollection): Promise<WaitEnd> {
  const settled = () => c.settled !== null;
  for (;;) {
    await condition(() => settled() || continueAsNewDue(c.input));
    if (settled()) return 'done';
    if (await idleForHandOver(settled)) return 'hand_over';
  }
}

/**
 * Registered before the invoice is read, so an update sent the moment the workflow starts (void
 * right after finalize) finds its handler; validators check a request once the invoice is known.
 */
function handleQueriesAndUpdates(c: InvoiceCollection): void {
  /** An operator's action, applied once per update id: a retry of one applied in an earlier run is answered with the view as it is. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's own constraint on update arguments
  const once = <Args extends any[]>(apply: (...args: Args) => Promise<CollectionView>) => async (...args: Args): Promise<CollectionView> => {
    if (c.updates.repeated) return c.snapshot();
    c.updates.applied();
    return apply(...args);
  };
  /** Its validator: a repeated id is answered, never refused by a rule its first attempt changed. */
  const checkOnce = (check: () => void): void => {
    if (!c.updates.repeated) c.validateLoaded(check);
  };
  setHandler(getCollectionQuery, () => c.snapshot());
  setHandler(retryNowUpdate, once(() => c.retryNow()), { validator: () => checkOnce(() => checkRetryNow(c.view)) });
  setHandler(skipRetryUpdate, once(() => c.skipRetry()), { validator: () => checkOnce(() => checkSkipRetry(c.view)) });
  setHandler(extendGraceUpdate, once((request) => c.extendGrace(request)), {
    validator: (request) => checkOnce(() => checkExtendGrace(c.view, request)),
  });
  setHandler(recordOfflinePaymentUpdate, once((request) => c.recordOfflinePayment(request)), {
    validator: (request) => checkOnce(() => checkOfflinePayment(c.view, c.amountDue, request)),
  });
  setHandler(voidInvoiceUpdate, once(() => c.voidInvoice()), { validator: () => checkOnce(c.checkVoid) });
  setHandler(emailInvoiceUpdate, once(() => c.emailInvoice()), { validator: () => checkOnce(() => checkSettle(c.view)) });
  setHandler(markUncollectibleUpdate, once(() => c.markUncollectible()), { validator: () => checkOnce(() => checkMarkUncollectible(c.view)) });
}

/**
 * Signals are registered once the invoice is known: the SDK holds a signal until its handler exists,
 * so a payment event that arrives with the start is applied after the invoice is read (as in
 * histories recorded before the update handlers moved ahead of the first activity).
 */
function handlePaymentSignals(c: InvoiceCollection): void {
  setHandler(paymentMethodUpdatedSignal, () => c.paymentMethodUpdated());
  setHandler(paymentEventSignal, (event) => c.paymentEvent(event));
}
