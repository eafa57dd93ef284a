/**
 * What every resource plugin needs, built once in `buildApp` and handed to each: the ORM, the Temporal
 * client and task queue, and the one way a request waits for a workflow (the answer deadline).
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { QuoteUpdateSender } from '../services/quotes/quote-link-actions';
import { sendChange } from './workflow-changes';
import type { InvoiceLinkSigner } from '../services/access/invoice-links';

/** How long a request waits for a workflow to answer, unless the app is told otherwise. */
export const DEFAULT_WORKFLOW_ANSWER_TIMEOUT_MS = 10_000;

/** An update's arguments: optional for an update that takes none. */
type UpdateArgs<Args extends unknown[]> = Args extends [] ? [args?: Args] : [args: Args];

export interface RouteDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  /** Signs invoices' `hosted_invoice_url` and checks hosted invoice links; null when the app has no link secret (tests). */
  invoiceLinks: InvoiceLinkSigner | null;
  /** How long a request waits for a workflow to answer an update (its turn included) before answering 202 pending. */
  workflowAnswerTimeoutMs: number;
  /** Runs a call to a workflow within the answer deadline: an update waits for a worker to run it, and a stopped worker would hang the request. */
  withinDeadline<R>(call: () => Promise<R>): Promise<R>;
  /**
   * Sends `update` to the workflow `workflowId` and waits, within the answer deadline, for its answer: the
   * one path every change takes (api/workflow-changes.ts: its turn on a busy entity, an update id from the
   * request, 202 pending or 409 lock_timeout instead of a failure that may still apply).
   */
  updateWorkflow<Ret, Args extends unknown[]>(workflowId: string, update: UpdateDefinition<Ret, Args>, ...args: UpdateArgs<Args>): Promise<Ret>;
}

/**
 * `updateWorkflow` in the shape services take it (services/quotes/quote-link-actions.ts): arguments
 * always given as one array, so the page routes and the JSON routes send a change the same way.
 */
export const quoteUpdateSender =
  (updateWorkflow: RouteDeps['updateWorkflow']): QuoteUpdateSender =>
  <Ret, Args extends unknown[]>(workflowId: string, update: UpdateDefinition<Ret, Args>, args: Args) =>
    (updateWorkflow as (id: string, u: UpdateDefinition<Ret, Args>, a: Args) => Promise<Ret>)(workflowId, update, args);

export function routeDeps(base: {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  workflowAnswerTimeoutMs?: number;
  invoiceLinks?: InvoiceLinkSigner | null;
}): RouteDeps {
  const { orm, temporal, taskQueue } = base;
  const workflowAnswerTimeoutMs = base.workflowAnswerTimeoutMs ?? DEFAULT_WORKFLOW_ANSWER_TIMEOUT_MS;
  const withinDeadline = <R>(call: () => Promise<R>): Promise<R> => temporal.withDeadline(Date.now() + workflowAnswerTimeoutMs, call);
  return {
    orm,
    temporal,
    taskQueue,
    invoiceLinks: base.invoiceLinks ?? null,
    workflowAnswerTimeoutMs,
    withinDeadline,
    updateWorkflow: <Ret, Args extends unknown[]>(workflowId: string, update: UpdateDefinition<Ret, Args>, ...[args]: UpdateArgs<Args>) =>
      sendChange({ orm, temporal, workflowAnswerTimeoutMs }, workflowId, update, (args ?? []) as Args),
  };
}
