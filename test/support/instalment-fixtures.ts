import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { InstalmentPlan, type Customer, type PermanentFailureHandling } from '../../db/entities';
import { newId } from '../../db/ids';
import { buildInstalmentSchedule, type ScheduleInput } from '../../domain/instalment-schedule';
import type { PlanInstalment } from '../../domain/instalment-changes';
import type { instalmentPlanWorkflow } from '../../workflows/instalment-plan/workflow';
import { instalmentPlanWorkflowId } from '../../workflows/instalment-plan/contract';
import { BillingStatusAttribute, CustomerIdAttribute } from '../../workflows/shared/search-attributes';

export interface PlanFixtureOptions {
  /** The schedule in the customer's currency and zone, first payment `firstPaymentInDays` from `now`. */
  schedule: Omit<ScheduleInput, 'currency' | 'timeZone' | 'firstPaymentDate'> & { firstPaymentInDays: number };
  reminderDaysBefore?: number;
  remindCustomer?: boolean;
  onPermanentFailure?: PermanentFailureHandling;
}

const DAY = 86_400_000;

/**
 * The plan record the API writes, then its workflow with the input and search attributes
 * POST /v1/instalment-plans gives it, started on `client` (a time-skipping environment's in tests).
 */
export async function startInstalmentPlan(
  orm: MikroORM,
  client: Client,
  taskQueue: string,
  customer: Customer,
  now: number,
  { schedule: s, reminderDaysBefore = 3, remindCustomer = false, onPermanentFailure = 'continue' }: PlanFixtureOptions,
) {
  const { firstPaymentInDays, ...rest } = s;
  const schedule = buildInstalmentSchedule({
    ...rest,
    currency: customer.currency,
    timeZone: customer.timeZone,
    firstPaymentDate: new Date(now + firstPaymentInDays * DAY).toISOString(),
  });
  const instalments: PlanInstalment[] = schedule.instalments.map((i) => ({ ...i, status: 'scheduled', invoiceId: null, paidAt: null }));
  const em = orm.em.fork();
  const id = newId('instalmentPlan');
  const created = new Date();
  em.create(InstalmentPlan, {
    id,
    customerId: customer.id,
    description: 'Equipment lease',
    contractReference: 'LEASE-1',
    currency: customer.currency,
    method: schedule.method,
    principal: schedule.principal,
    interestTotal: schedule.interestTotal,
    total: schedule.total,
    annualInterestRatePpm: null,
    intervalUnit: s.interval?.unit ?? null,
    intervalCount: s.interval?.count ?? null,
    collectionMethod: 'charge_automatically',
    paymentTerms: 'due_on_receipt',
    reminderDaysBefore,
    remindCustomer,
    onPermanentFailure,
    accountManagerEmail: 'manager@example.com',
    sourceInvoiceId: null,
    timeZone: customer.timeZone,
    status: 'incomplete',
    cancellationReason: null,
    paidAmount: 0,
    paymentCount: 0,
    remainingBalance: schedule.total,
    remainingPrincipal: schedule.principal,
    nextPaymentDate: null,
    canceledAt: null,
    completedAt: null,
    workflowId: instalmentPlanWorkflowId(id),
    metadata: {},
    createdAt: created,
    updatedAt: created,
  });
  await em.flush();
  const handle = await client.workflow.start<typeof instalmentPlanWorkflow>('instalmentPlanWorkflow', {
    taskQueue,
    workflowId: instalmentPlanWorkflowId(id),
    args: [
      {
        planId: id,
        customerId: customer.id,
        settings: {
          collectionMethod: 'charge_automatically',
          reminderDaysBefore,
          timeZone: customer.timeZone,
          interval: s.interval ?? null,
          hasInterest: schedule.interestTotal > 0,
          onPermanentFailure,
        },
        instalments,
      },
    ],
    typedSearchAttributes: [
      { key: CustomerIdAttribute, value: customer.id },
      { key: BillingStatusAttribute, value: 'incomplete' },
    ],
  });
  return { id, handle, schedule };
}
