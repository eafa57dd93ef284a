/**
 * The instalment plan an accepted quote starts (once) to split its one-time total, first payment at
 * `firstPaymentDate` (the quote workflow's acceptance time). The plan records are written with the
 * quote row locked and pointing at them; starting the plan's workflow again finds it running.
 */
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Customer, Instalment, InstalmentPlan } from '../../db/entities';
import { newId } from '../../db/ids';
import { buildInstalmentSchedule } from '../../domain/instalment-schedule';
import type { PlanInstalment } from '../../domain/instalment-changes';
import { quoteScheduleInput } from '../../domain/quote';
import { addInstalmentPlanRecords, newInstalmentPlanFields, startInstalmentPlanWorkflow, toPlanInstalments } from '../instalment-plans/start-instalment-plan';
import { MissingQuoteRecord, currentQuoteVersion, lockQuote } from './quote-records';

export async function startQuoteInstalmentPlan(
  orm: MikroORM,
  temporal: { client: Client; taskQueue: string },
  { quoteId, firstPaymentDate }: { quoteId: string; firstPaymentDate: string },
): Promise<{ planId: string }> {
  const { plan, instalments } = await orm.em.fork().transactional(async (em) => {
    const quote = await lockQuote(em, quoteId);
    if (quote.instalmentPlanId) {
      const existing = await em.findOneOrFail(InstalmentPlan, { id: quote.instalmentPlanId });
      const rows = await em.find(Instalment, { planId: existing.id }, { orderBy: { number: 'asc' } });
      const schedule: PlanInstalment[] = rows.map((r) => ({
        number: r.number,
        kind: r.kind === 'payoff' ? 'instalment' : r.kind,
        dueDate: r.dueDate.toISOString(),
        amount: r.amount,
        principal: r.principal,
        interest: r.interest,
        remainingPrincipal: r.remainingPrincipal,
        status: 'scheduled',
        invoiceId: null,
        paidAt: null,
      }));
      return { plan: existing, instalments: schedule };
    }
    const customer = await em.findOneOrFail(Customer, { id: quote.customerId });
    const { content, totals } = await currentQuoteVersion(em, quote);
    const spec = content.payment.schedule;
    if (!spec) throw new MissingQuoteRecord('payment schedule of quote', quoteId);
    const schedule = buildInstalmentSchedule(quoteScheduleInput(spec, content.currency, totals.oneTime.total, customer.timeZone, firstPaymentDate));
    const id = newId('instalmentPlan');
    const fields = newInstalmentPlanFields({
      id,
      customer,
      schedule,
      description: `${content.title} (quote ${quoteId})`,
      contractReference: quoteId,
      annualInterestRatePpm: null,
      interval: spec.interval,
      collectionMethod: customer.defaultPaymentMethod ? 'charge_automatically' : 'send_invoice',
      paymentTerms: content.payment.paymentTerms,
      reminderDaysBefore: 3,
      remindCustomer: true,
      onPermanentFailure: 'continue',
      accountManagerEmail: quote.accountManagerEmail ?? quote.ownerEmail,
      sourceInvoiceId: null,
      metadata: { quote: quoteId },
      now: new Date(firstPaymentDate),
    });
    const instalments = toPlanInstalments(schedule);
    const created = await addInstalmentPlanRecords(em, fields, instalments);
    quote.instalmentPlanId = id;
    quote.updatedAt = new Date();
    return { plan: created, instalments };
  });
  try {
    await startInstalmentPlanWorkflow(temporal.client, temporal.taskQueue, plan, instalments);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return { planId: plan.id };
}
