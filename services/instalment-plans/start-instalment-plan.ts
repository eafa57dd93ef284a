/**
 * Setting up a new instalment plan: its records and its workflow. Shared by `POST /v1/instalment-plans`
 * and by the quote workflow's activity (a quote paid by a payment schedule), so both create exactly
 * the same plan. Like services/subscriptions/start-subscription.ts: the caller adds the records in its own
 * transaction (with whatever must commit alongside), then starts the workflow.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Customer, Instalment, InstalmentPlan, type PermanentFailureHandling } from '../../db/entities';
import { newId } from '../../db/ids';
import type { BillingInterval } from '../../domain/frequency';
import type { PaymentTerms } from '../../domain/payment-terms';
import type { InstalmentSchedule } from '../../domain/instalment-schedule';
import type { PlanInstalment } from '../../domain/instalment-changes';
import { instalmentPlanWorkflowId, waitUntilPlanRecordedUpdate, type InstalmentPlanWorkflowInput } from '../../workflows/instalment-plan/contract';
import type { instalmentPlanWorkflow } from '../../workflows/instalment-plan/workflow';
import { BillingStatusAttribute, CustomerIdAttribute } from '../../workflows/shared/search-attributes';
import { instalmentRowFields } from './instalment-rows';
import type { PlanRefusals } from './plan-refusals';

/** What a new plan is made of, already validated against the customer and the catalog. */
export interface NewInstalmentPlanSpec {
  id: string;
  customer: Customer;
  schedule: InstalmentSchedule;
  description: string;
  contractReference: string | null;
  annualInterestRatePpm: number | null;
  /** Spacing of regular instalments (equal plans); null for full and custom ones. */
  interval: BillingInterval | null;
  collectionMethod: 'charge_automatically' | 'send_invoice';
  paymentTerms: PaymentTerms;
  reminderDaysBefore: number;
  remindCustomer: boolean;
  onPermanentFailure: PermanentFailureHandling;
  accountManagerEmail: string | null;
  sourceInvoiceId: string | null;
  metadata: Record<string, string>;
  now: Date;
}

/** The plan row as created: status `incomplete` until its workflow records its first state. */
export function newInstalmentPlanFields(spec: NewInstalmentPlanSpec) {
  const { schedule } = spec;
  return {
    id: spec.id,
    customerId: spec.customer.id,
    description: spec.description,
    contractReference: spec.contractReference,
    currency: schedule.currency,
    method: schedule.method,
    principal: schedule.principal,
    interestTotal: schedule.interestTotal,
    total: schedule.total,
    annualInterestRatePpm: spec.annualInterestRatePpm,
    intervalUnit: spec.interval?.unit ?? null,
    intervalCount: spec.interval?.count ?? null,
    collectionMethod: spec.collectionMethod,
    paymentTerms: spec.paymentTerms,
    reminderDaysBefore: spec.reminderDaysBefore,
    remindCustomer: spec.remindCustomer,
    onPermanentFailure: spec.onPermanentFailure,
    accountManagerEmail: spec.accountManagerEmail,
    sourceInvoiceId: spec.sourceInvoiceId,
    timeZone: spec.customer.timeZone,
    status: 'incomplete' as const,
    cancellationReason: null,
    paidAmount: 0,
    paymentCount: 0,
    remainingBalance: schedule.total,
    remainingPrincipal: schedule.principal,
    nextPaymentDate: new Date(schedule.instalments[0]!.dueDate),
    canceledAt: null,
    completedAt: null,
    workflowId: instalmentPlanWorkflowId(spec.id),
    metadata: spec.metadata,
    createdAt: spec.now,
    updatedAt: spec.now,
  } satisfies Partial<InstalmentPlan>;
}

/** The schedule as the workflow takes it: every instalment scheduled, nothing invoiced. */
export const toPlanInstalments = (schedule: InstalmentSchedule): PlanInstalment[] =>
  schedule.instalments.map((i) => ({ ...i, status: 'scheduled', invoiceId: null, paidAt: null }));

/**
 * Adds the plan row and its instalment rows in the caller's transaction. Foreign keys are plain
 * columns, so the plan row is flushed first.
 */
export async function addInstalmentPlanRecords(
  em: EntityManager,
  fields: ReturnType<typeof newInstalmentPlanFields>,
  instalments: PlanInstalment[],
): Promise<InstalmentPlan> {
  const plan = em.create(InstalmentPlan, fields);
  await em.flush();
  for (const i of instalments) {
    em.create(Instalment, { id: newId('instalment'), planId: plan.id, number: i.number, remindedAt: null, ...instalmentRowFields(i) });
  }
  await em.flush();
  return plan;
}

export function instalmentPlanWorkflowInput(plan: InstalmentPlan, instalments: PlanInstalment[]): InstalmentPlanWorkflowInput {
  return {
    planId: plan.id,
    customerId: plan.customerId,
    settings: {
      collectionMethod: plan.collectionMethod,
      reminderDaysBefore: plan.reminderDaysBefore,
      timeZone: plan.timeZone,
      interval: plan.intervalUnit && plan.intervalCount ? { unit: plan.intervalUnit, count: plan.intervalCount } : null,
      hasInterest: (plan.annualInterestRatePpm ?? 0) > 0,
      onPermanentFailure: plan.onPermanentFailure,
    },
    instalments,
  };
}

/**
 * Starts the plan's workflow (`instalment-plan-<id>`). One workflow per plan, ever: a second start
 * throws WorkflowExecutionAlreadyStartedError, which a retrying caller treats as done.
 */
export async function startInstalmentPlanWorkflow(
  temporal: Client,
  taskQueue: string,
  plan: InstalmentPlan,
  instalments: PlanInstalment[],
): Promise<WorkflowHandle<typeof instalmentPlanWorkflow>> {
  return temporal.workflow.start<typeof instalmentPlanWorkflow>('instalmentPlanWorkflow', {
    taskQueue,
    workflowId: plan.workflowId,
    args: [instalmentPlanWorkflowInput(plan, instalments)],
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: CustomerIdAttribute, value: plan.customerId },
      { key: BillingStatusAttribute, value: 'incomplete' },
    ],
  });
}

/** What the API's plan operations need: the database, Temporal, and the deadline its answers keep. */
export interface PlanServiceDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  /** Runs one workflow call under the caller's answer deadline. */
  withinDeadline: <R>(call: () => Promise<R>) => Promise<R>;
  refuse: PlanRefusals;
}

export interface WarnLog {
  warn: (obj: object, msg: string) => void;
}

/**
 * Starts the plan's workflow and waits (within the deadline) until it has recorded its first state,
 * so the answer shows the plan active. A start that fails throws; a slow first write only logs.
 */
export async function startAndAwaitFirstState(deps: PlanServiceDeps, plan: InstalmentPlan, instalments: PlanInstalment[], log: WarnLog): Promise<void> {
  const handle = await startInstalmentPlanWorkflow(deps.temporal, deps.taskQueue, plan, instalments);
  try {
    await deps.withinDeadline(() => handle.executeUpdate(waitUntilPlanRecordedUpdate));
  } catch (err) {
    // The workflow is started and durable; it records its state as soon as a worker picks it up.
    log.warn({ err, planId: plan.id }, 'instalment plan started; its first state write is still pending');
  }
}
