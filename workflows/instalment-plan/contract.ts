/**
 * The instalment plan workflow's public surface (`instalment-plan-<id>`): its input, the state it
 * reports, and the updates the API (and operators through the Temporal UI or CLI) send it.
 *
 * One workflow per plan sleeps until each instalment's reminder and due date, invoices the
 * instalment and hands the invoice to its own collection workflow (`invoice-<id>`, which charges or
 * emails it and runs dunning), and hears every outcome back through `invoiceCollectionOutcomeSignal`.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { BillingInterval } from '../../domain/frequency';
import type { DunningPolicy } from '../../domain/dunning';
import type { PlanBalances, PlanInstalment } from '../../domain/instalment-changes';

export const instalmentPlanWorkflowId = (planId: string): string => `instalment-plan-${planId}`;

export type InstalmentPlanLifecycleStatus = 'active' | 'paused' | 'completed' | 'canceled';
export type PermanentFailureHandling = 'continue' | 'pause' | 'cancel';

/** Fixed when the plan is created. */
export interface InstalmentPlanSettings {
  collectionMethod: 'charge_automatically' | 'send_invoice';
  /** Days before each due date the reminder goes out; 0: no reminder. */
  reminderDaysBefore: number;
  timeZone: string;
  /** Spacing of the regular instalments (reschedule keeps it); null for custom and full plans. */
  interval: BillingInterval | null;
  /** A loan: amounts carry interest, so amount edits are refused (pay early or pay off instead). */
  hasInterest: boolean;
  /** What happens when dunning gives up on an instalment. */
  onPermanentFailure: PermanentFailureHandling;
}

/** What only the workflow knows; carried verbatim across continue-as-new. */
export interface InstalmentPlanState {
  status: InstalmentPlanLifecycleStatus;
  instalments: PlanInstalment[];
  /** Instalment number → the due date its reminder was sent for (a rescheduled one is reminded again). */
  reminded: Record<string, string>;
  /** Instalments to invoice now rather than on their due date (pay early, pay off). */
  invoiceNow: number[];
  /** The instalment whose invoice is being created right now: it can no longer change. */
  invoicing: number | null;
  pausedAt: string | null;
  canceledAt: string | null;
  completedAt: string | null;
  cancellationReason: string | null;
}

export interface InstalmentPlanWorkflowInput {
  planId: string;
  customerId: string;
  settings: InstalmentPlanSettings;
  /** The schedule as created; ignored when continuing as new (carriedState has the current one). */
  instalments: PlanInstalment[];
  /** Applied to each instalment's invoice; the worker's configured policy when absent. */
  dunningPolicy?: DunningPolicy;
  carriedState?: InstalmentPlanState;
  /** Update ids the earlier runs applied lately (workflows/shared/update-ledger.ts). */
  carriedUpdateIds?: string[];
  /**
   * History events a run may reach before it continues as new (the server's suggestion may come
   * sooner); workflows/shared/run-length.ts's HISTORY_EVENTS_PER_RUN when absent. Tests set it low.
   */
  historyEventsPerRun?: number;
}

export interface InstalmentPlanView extends InstalmentPlanState {
  planId: string;
  balances: PlanBalances;
}

export interface EditInstalmentRequest {
  number: number;
  amount?: number;
  dueDate?: string;
  /** Default true: the difference is spread over the other scheduled instalments. */
  keepTotal?: boolean;
}
export interface DeleteInstalmentRequest {
  number: number;
  keepTotal?: boolean;
}
export interface RescheduleRequest {
  /** The first scheduled instalment moves here; later ones keep their spacing. */
  firstDueDate: string;
}
export interface PayEarlyRequest {
  /** Default: the next scheduled instalment. */
  number?: number;
}
export interface CancelPlanRequest {
  reason?: string;
}

export const editInstalmentUpdate = defineUpdate<InstalmentPlanView, [EditInstalmentRequest]>('editInstalment');
export const deleteInstalmentUpdate = defineUpdate<InstalmentPlanView, [DeleteInstalmentRequest]>('deleteInstalment');
export const rescheduleUpdate = defineUpdate<InstalmentPlanView, [RescheduleRequest]>('rescheduleInstalments');
export const payEarlyUpdate = defineUpdate<InstalmentPlanView, [PayEarlyRequest]>('payInstalmentEarly');
export const payOffUpdate = defineUpdate<InstalmentPlanView, []>('payOffPlan');
export const cancelPlanUpdate = defineUpdate<InstalmentPlanView, [CancelPlanRequest]>('cancelPlan');
export const pausePlanUpdate = defineUpdate<InstalmentPlanView, []>('pausePlan');
export const resumePlanUpdate = defineUpdate<InstalmentPlanView, []>('resumePlan');
/** Answers once the workflow has written its current state to the database (used right after start). */
export const waitUntilPlanRecordedUpdate = defineUpdate<InstalmentPlanView, []>('waitUntilPlanRecorded');

export const getInstalmentPlanQuery = defineQuery<InstalmentPlanView>('getInstalmentPlan');
