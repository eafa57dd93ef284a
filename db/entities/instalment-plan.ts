import { EntitySchema, type Opt } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';
import type { IntervalUnit } from '../../domain/frequency';
import type { InstalmentStatus } from '../../domain/instalment-changes';
import type { ScheduleMethod } from '../../domain/instalment-schedule';
import type { PaymentTerms } from '../../domain/payment-terms';

/**
 * `incomplete` exists only between the API writing the record and the workflow taking it over;
 * every later status is written by the plan's workflow.
 */
export type InstalmentPlanStatus = 'incomplete' | 'active' | 'paused' | 'completed' | 'canceled';
/** What happens when dunning gives up on an instalment. */
export type PermanentFailureHandling = 'continue' | 'pause' | 'cancel';

export class InstalmentPlan {
  id!: string;
  customerId!: string;
  description!: string;
  /** The lease, loan or deal this plan pays for; plans are summed per contract. */
  contractReference!: string | null;
  currency!: string;
  method!: ScheduleMethod;
  principal!: number;
  interestTotal!: number;
  total!: number;
  annualInterestRatePpm!: number | null;
  intervalUnit!: IntervalUnit | null;
  intervalCount!: number | null;
  collectionMethod!: 'charge_automatically' | 'send_invoice';
  paymentTerms!: PaymentTerms;
  reminderDaysBefore!: number;
  remindCustomer!: boolean;
  onPermanentFailure!: PermanentFailureHandling;
  /** Reminders go here; the customer's account owner when null. */
  accountManagerEmail!: string | null;
  /** The invoice this plan split into parts (voided and replaced by the plan). */
  sourceInvoiceId!: string | null;
  timeZone!: string;
  status!: InstalmentPlanStatus;
  cancellationReason!: string | null;
  paidAmount!: number;
  paymentCount!: number;
  remainingBalance!: number;
  remainingPrincipal!: number;
  nextPaymentDate!: Date | null;
  canceledAt!: Date | null;
  completedAt!: Date | null;
  workflowId!: string;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

export const InstalmentPlanSchema = new EntitySchema<InstalmentPlan>({
  class: InstalmentPlan,
  tableName: 'instalment_plans',
  properties: {
    id: { type: 'string', primary: true },
    customerId: { type: 'string' },
    description: { type: 'text' },
    contractReference: { type: 'string', nullable: true },
    currency: { type: 'string', length: 3 },
    method: { type: 'string' },
    principal: minorUnits(),
    interestTotal: minorUnits(),
    total: minorUnits(),
    annualInterestRatePpm: { type: 'integer', nullable: true },
    intervalUnit: { type: 'string', nullable: true },
    intervalCount: { type: 'integer', nullable: true },
    collectionMethod: { type: 'string' },
    paymentTerms: { type: 'string' },
    reminderDaysBefore: { type: 'integer' },
    remindCustomer: { type: 'boolean' },
    onPermanentFailure: { type: 'string' },
    accountManagerEmail: { type: 'string', nullable: true },
    sourceInvoiceId: { type: 'string', nullable: true, unique: true },
    timeZone: { type: 'string' },
    status: { type: 'string' },
    cancellationReason: { type: 'string', nullable: true },
    paidAmount: minorUnits(),
    paymentCount: { type: 'integer' },
    remainingBalance: minorUnits(),
    remainingPrincipal: minorUnits(),
    nextPaymentDate: timestamptz(true),
    canceledAt: timestamptz(true),
    completedAt: timestamptz(true),
    workflowId: { type: 'string', unique: true },
    metadata: { type: 'json' },
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});

export type InstalmentKind = 'down_payment' | 'instalment' | 'payoff';

/** One row of a plan's schedule, as its workflow last wrote it. */
export class Instalment {
  id!: string;
  planId!: string;
  /** 1-based and stable: edits and deletes never renumber. */
  number!: number;
  kind!: InstalmentKind;
  dueDate!: Date;
  amount!: number;
  principal!: number;
  interest!: number;
  remainingPrincipal!: number;
  status!: InstalmentStatus;
  invoiceId!: string | null;
  paidAt!: Date | null;
  remindedAt!: Opt<Date | null>;
}

export const InstalmentSchema = new EntitySchema<Instalment>({
  class: Instalment,
  tableName: 'instalments',
  properties: {
    id: { type: 'string', primary: true },
    planId: { type: 'string' },
    number: { type: 'integer' },
    kind: { type: 'string' },
    dueDate: timestamptz(),
    amount: minorUnits(),
    principal: minorUnits(),
    interest: minorUnits(),
    remainingPrincipal: minorUnits(),
    status: { type: 'string' },
    invoiceId: { type: 'string', nullable: true },
    paidAt: timestamptz(true),
    remindedAt: timestamptz(true),
  },
});
