/** Plan records as the API answers them: the plan resource with its schedule and balances, and a schedule preview. */
import type { Static } from 'typebox';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Instalment, InstalmentPlan } from '../../db/entities';
import { formatPercentage } from '../../domain/pricing';
import type { InstalmentSchedule } from '../../domain/instalment-schedule';
import { iso } from '../schemas';
import { PaidThisMonth, paidThisMonthByPlan } from './balances';

function instalmentResource(i: Instalment) {
  return {
    number: i.number,
    kind: i.kind,
    due_date: iso(i.dueDate)!,
    amount: i.amount,
    principal: i.principal,
    interest: i.interest,
    remaining_principal: i.remainingPrincipal,
    status: i.status,
    invoice: i.invoiceId,
    paid_at: iso(i.paidAt),
    reminded_at: iso(i.remindedAt ?? null),
  };
}

export function instalmentPlanResource(plan: InstalmentPlan, instalments: Instalment[], paidThisMonth: Static<typeof PaidThisMonth>) {
  return {
    id: plan.id,
    object: 'instalment_plan' as const,
    customer: plan.customerId,
    description: plan.description,
    contract_reference: plan.contractReference,
    currency: plan.currency.toLowerCase(),
    method: plan.method,
    status: plan.status,
    principal: plan.principal,
    interest_total: plan.interestTotal,
    annual_interest_rate: plan.annualInterestRatePpm === null ? null : formatPercentage(plan.annualInterestRatePpm),
    recurring: plan.intervalUnit && plan.intervalCount ? { interval: plan.intervalUnit, interval_count: plan.intervalCount } : null,
    collection_method: plan.collectionMethod,
    payment_terms: plan.paymentTerms,
    reminder_days_before: plan.reminderDaysBefore,
    remind_customer: plan.remindCustomer,
    on_permanent_failure: plan.onPermanentFailure,
    account_manager_email: plan.accountManagerEmail,
    source_invoice: plan.sourceInvoiceId,
    balances: {
      total: plan.total,
      paid_amount: plan.paidAmount,
      payment_count: plan.paymentCount,
      remaining_balance: plan.remainingBalance,
      remaining_principal: plan.remainingPrincipal,
      next_payment_date: iso(plan.nextPaymentDate),
      paid_this_month: paidThisMonth,
    },
    cancellation_reason: plan.cancellationReason,
    canceled_at: iso(plan.canceledAt),
    completed_at: iso(plan.completedAt),
    time_zone: plan.timeZone,
    workflow_id: plan.workflowId,
    instalments: [...instalments].sort((a, b) => a.dueDate.getTime() - b.dueDate.getTime() || a.number - b.number).map(instalmentResource),
    metadata: plan.metadata,
    created_at: iso(plan.createdAt)!,
  };
}

/** Plans with their instalments and this month's payments, in two queries whatever the page size. */
export async function withInstalments(em: EntityManager, plans: InstalmentPlan[]) {
  if (plans.length === 0) return [];
  const ids = plans.map((p) => p.id);
  const rows = await em.find(Instalment, { planId: { $in: ids } });
  const paid = await paidThisMonthByPlan(em, ids);
  return plans.map((plan) =>
    instalmentPlanResource(
      plan,
      rows.filter((r) => r.planId === plan.id),
      paid.get(plan.id) ?? { amount: 0, count: 0 },
    ),
  );
}

/** A schedule not yet written anywhere, as `POST /v1/instalment-plans/preview` answers it. */
export function schedulePreview(schedule: InstalmentSchedule) {
  return {
    object: 'instalment_schedule' as const,
    currency: schedule.currency.toLowerCase(),
    method: schedule.method,
    principal: schedule.principal,
    interest_total: schedule.interestTotal,
    total: schedule.total,
    instalments: schedule.instalments.map((i) => ({
      number: i.number,
      kind: i.kind,
      due_date: i.dueDate,
      amount: i.amount,
      principal: i.principal,
      interest: i.interest,
      remaining_principal: i.remainingPrincipal,
    })),
  };
}
