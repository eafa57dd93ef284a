/**
 * Splitting an open invoice into an instalment plan: the invoice is voided through its collection
 * workflow, pointed at the plan that replaces it, and the plan's workflow started. Each step can be
 * repeated, so a split that failed half way is finished by repeating the request (`resumeSplit`).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { Instalment, Invoice, type InstalmentPlan } from '../../db/entities';
import type { PlanInstalment } from '../../domain/instalment-changes';
import { invoiceCollectionWorkflowId, voidInvoiceUpdate } from '../../workflows/invoice-collection/contract';
import { Refusal } from '../../domain/rule-violation';
import { startAndAwaitFirstState, type PlanServiceDeps, type WarnLog } from './start-instalment-plan';

/** An invoice can be split while it is open and nothing has been paid on it. */
export function checkSplittable(invoice: Invoice): void {
  if (invoice.instalmentPlanId) {
    throw new Refusal('invoice_is_instalment', `Invoice ${invoice.id} is already an instalment of plan ${invoice.instalmentPlanId}.`, 'invoice');
  }
  if (invoice.status !== 'open') {
    throw new Refusal('invoice_not_open', `Only an open invoice can be split into instalments; invoice ${invoice.id} is ${invoice.status}.`, 'invoice');
  }
  if (invoice.amountPaid > 0) {
    throw new Refusal('invoice_partially_paid', `Invoice ${invoice.id} already has ${invoice.amountPaid} paid on it; split only an unpaid invoice.`, 'invoice');
  }
}

/** Voids the split invoice through its collection workflow, which refuses if money arrived meanwhile. */
export async function voidSplitInvoice(deps: PlanServiceDeps, invoice: Invoice): Promise<void> {
  const { temporal, withinDeadline, refuse } = deps;
  try {
    await withinDeadline(() => temporal.workflow.getHandle(invoiceCollectionWorkflowId(invoice.id)).executeUpdate(voidInvoiceUpdate));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new Refusal('collection_not_running', `Invoice ${invoice.id} has no collection in progress, so it cannot be split.`);
    }
    throw refuse.workflowCallError(err, `Cannot split invoice ${invoice.id}`);
  }
}

/**
 * The steps of a split after the original invoice is void: point it at the plan, start the plan.
 * Starting is idempotent, so a request repeated after a failure here finishes the job. Answers the
 * plan's id.
 */
export async function resumeSplit(deps: PlanServiceDeps, plan: InstalmentPlan, invoice: Invoice, log: WarnLog, instalments?: PlanInstalment[]): Promise<string> {
  const em = deps.orm.em.fork();
  if (invoice.status !== 'void') {
    const fresh = await em.findOneOrFail(Invoice, { id: invoice.id });
    if (fresh.status !== 'void') await voidSplitInvoice(deps, fresh);
  }
  await em.nativeUpdate(Invoice, { id: invoice.id }, { replacedByPlanId: plan.id, updatedAt: new Date() });
  const schedule =
    instalments ??
    (await em.find(Instalment, { planId: plan.id }, { orderBy: { number: 'asc' } })).map(
      (row): PlanInstalment => ({
        number: row.number,
        kind: row.kind === 'payoff' ? 'instalment' : row.kind,
        dueDate: row.dueDate.toISOString(),
        amount: row.amount,
        principal: row.principal,
        interest: row.interest,
        remainingPrincipal: row.remainingPrincipal,
        status: 'scheduled',
        invoiceId: null,
        paidAt: null,
      }),
    );
  try {
    await startAndAwaitFirstState(deps, plan, schedule, log);
  } catch (err) {
    // Already started by an earlier attempt: the plan exists, answer with it. (The only start failure
    // the API answers as `workflow_already_started`.)
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw deps.refuse.workflowCallError(err, `Cannot start instalment plan ${plan.id}`);
  }
  return plan.id;
}
