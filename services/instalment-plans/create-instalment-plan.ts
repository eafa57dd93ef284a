/**
 * `POST /v1/instalment-plans`: price the schedule, write the plan, start its workflow, and undo the
 * write if nothing will ever run it. From an open invoice the plan replaces it: the invoice is voided
 * (split-invoice.ts) after the plan is written, and a request repeated after a half-finished split
 * finishes it instead of refusing.
 */
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { InstalmentPlan } from '../../db/entities';
import { newId } from '../../db/ids';
import { parseAnnualInterestRate } from '../../domain/instalment-schedule';
import type { PaymentTerms } from '../../domain/payment-terms';
import { Refusal } from '../../domain/rule-violation';
import { planBasis, scheduleFor, type PlanRequest } from './schedule-request';
import { checkSplittable, resumeSplit, voidSplitInvoice } from './split-invoice';
import {
  addInstalmentPlanRecords,
  newInstalmentPlanFields,
  startAndAwaitFirstState,
  toPlanInstalments,
  type PlanServiceDeps,
  type WarnLog,
} from './start-instalment-plan';

/** Creates the plan and starts it; answers the id of the plan to show (an earlier one when a split is finished). */
export async function createInstalmentPlan(deps: PlanServiceDeps, body: PlanRequest, log: WarnLog): Promise<string> {
  const { orm, refuse } = deps;
  const em = orm.em.fork();
  const { customer, invoice, total, currency } = await planBasis(em, body);
  const collectionMethod = body.collection_method ?? (invoice ? (invoice.collectionMethod as 'charge_automatically' | 'send_invoice') : 'charge_automatically');
  if (collectionMethod === 'charge_automatically' && !customer.defaultPaymentMethod) {
    throw new Refusal('no_payment_method', `Customer ${customer.id} has no default_payment_method to charge; set one or use collection_method=send_invoice.`, 'customer');
  }

  // A split that failed after voiding its invoice is finished by repeating the request.
  if (invoice) {
    const earlier = await em.findOne(InstalmentPlan, { sourceInvoiceId: invoice.id });
    if (earlier && earlier.status !== 'incomplete') {
      throw new Refusal('invoice_already_split', `Invoice ${invoice.id} was already split into instalment plan ${earlier.id}.`);
    }
    if (earlier) return resumeSplit(deps, earlier, invoice, log);
    checkSplittable(invoice);
  }

  const now = new Date();
  const schedule = scheduleFor(body, total, currency, customer.timeZone, now);
  const instalments = toPlanInstalments(schedule);
  const id = newId('instalmentPlan');
  const planFields = newInstalmentPlanFields({
    id,
    customer,
    schedule,
    description: body.description ?? (invoice ? `Invoice ${invoice.number} in ${schedule.instalments.length} parts` : `Payment plan of ${customer.name}`),
    contractReference: body.contract_reference ?? null,
    annualInterestRatePpm: body.annual_interest_rate === undefined ? null : parseAnnualInterestRate(body.annual_interest_rate),
    interval: schedule.method === 'equal' ? { unit: body.interval ?? 'month', count: body.interval_count ?? 1 } : null,
    collectionMethod,
    paymentTerms: (body.payment_terms ?? 'due_on_receipt') as PaymentTerms,
    reminderDaysBefore: body.reminder_days_before ?? 3,
    remindCustomer: body.remind_customer ?? false,
    onPermanentFailure: body.on_permanent_failure ?? 'continue',
    accountManagerEmail: body.account_manager_email ?? null,
    sourceInvoiceId: invoice?.id ?? null,
    metadata: body.metadata ?? {},
    now,
  });
  let plan: InstalmentPlan;
  try {
    // Foreign keys are plain columns, so the plan row goes first; one transaction keeps both or neither.
    plan = await em.transactional((tx) => addInstalmentPlanRecords(tx, planFields, instalments));
  } catch (err) {
    // Two requests split the same invoice at once: the unique source invoice lets one through.
    if (err instanceof UniqueConstraintViolationException && invoice) {
      throw new Refusal('invoice_already_split', `Invoice ${invoice.id} is already being split into another instalment plan.`);
    }
    throw err;
  }

  if (invoice) {
    try {
      await voidSplitInvoice(deps, invoice);
    } catch (err) {
      // Nothing was replaced: no plan either.
      await orm.em.fork().nativeDelete(InstalmentPlan, { id });
      throw err;
    }
    return resumeSplit(deps, plan, invoice, log, instalments);
  }
  try {
    await startAndAwaitFirstState(deps, plan, instalments, log);
  } catch (err) {
    // No workflow, no plan: never leave a schedule that nothing will ever invoice.
    await orm.em.fork().nativeDelete(InstalmentPlan, { id });
    throw refuse.workflowCallError(err, `Cannot start instalment plan ${id}`);
  }
  return id;
}
