/**
 * `/v1/instalment-plans`: payment schedules, split invoices, leases and loans. The API validates and
 * builds the schedule (domain/instalment-schedule.ts), writes the plan once, and starts its workflow
 * (`instalment-plan-<id>`), which owns the schedule from then on: every change is an update on that
 * workflow, validated there, and the answer is read back from the records it writes. Creating a plan
 * (and splitting an invoice into one) is services/instalment-plans/create-instalment-plan.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { InstalmentPlan } from '../../db/entities';
import { createInstalmentPlan } from '../../services/instalment-plans/create-instalment-plan';
import type { PlanRefusals } from '../../services/instalment-plans/plan-refusals';
import { CLOCK_SKEW_MS, previewInstalmentSchedule } from '../../services/instalment-plans/schedule-request';
import type { PlanServiceDeps } from '../../services/instalment-plans/start-instalment-plan';
import {
  cancelPlanUpdate,
  deleteInstalmentUpdate,
  editInstalmentUpdate,
  pausePlanUpdate,
  payEarlyUpdate,
  payOffUpdate,
  rescheduleUpdate,
  resumePlanUpdate,
} from '../../workflows/instalment-plan/contract';
import { ErrorSchema, conflict, invalidParam, notFound } from '../errors';
import { IdParams, cursorFilter, definedOnly, listOf } from '../schemas';
import { workflowCallError } from '../workflow-errors';
import {
  CancelBody,
  CreatePlan,
  DeleteInstalmentQuery,
  EditInstalmentBody,
  InstalmentParams,
  InstalmentPlanResource,
  ListPlansQuery,
  PayEarlyBody,
  RescheduleBody,
  SchedulePreview,
} from './schemas';
import { schedulePreview, withInstalments } from './serialization';
import { ADMIN_AND_OPERATOR, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';
import { PendingChangeResource } from '../workflow-changes';

/** A failed workflow call of the plan services, in the API's own words (their other refusals are RuleViolations). */
const refuse: PlanRefusals = { workflowCallError };

export const instalmentPlansRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm, temporal, taskQueue, withinDeadline, updateWorkflow }) => {
  const read = { roles: STAFF };
  const create = { roles: STAFF };
  const act = { roles: ADMIN_AND_OPERATOR };

  async function load(id: string) {
    const em = orm.em.fork();
    const plan = await em.findOne(InstalmentPlan, { id });
    if (!plan) throw notFound('instalment plan', id);
    return (await withInstalments(em, [plan]))[0]!;
  }

  const deps: PlanServiceDeps = { orm, temporal, taskQueue, withinDeadline, refuse };

  app.post(
    '/instalment-plans/preview',
    {
      config: create,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Preview a payment schedule without creating anything',
        description: 'Takes the same body as creating a plan and returns the instalments it would have.',
        body: CreatePlan,
        response: { 200: SchedulePreview, '4xx': ErrorSchema },
      },
    },
    async (request) => schedulePreview(await previewInstalmentSchedule(orm.em.fork(), request.body)),
  );

  app.post(
    '/instalment-plans',
    {
      config: create,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Create an instalment plan and start its workflow',
        description:
          'From a customer and a total, or from an open unpaid invoice (which is voided and replaced by the plan: the total is unchanged). ' +
          'Each instalment is invoiced on its due date and charged or emailed by collection_method, with the dunning policy for failures.',
        body: CreatePlan,
        response: { 200: InstalmentPlanResource, '4xx': ErrorSchema },
      },
    },
    async (request) => load(await createInstalmentPlan(deps, request.body, request.log)),
  );

  app.get(
    '/instalment-plans',
    {
      config: read,
      schema: {
        tags: ['instalment-plans'],
        summary: 'List instalment plans, newest first',
        querystring: ListPlansQuery,
        response: { 200: listOf(InstalmentPlanResource, 'InstalmentPlan'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { status, customer, contract_reference, source_invoice, starting_after } = request.query;
      const limit = request.query.limit ?? 10;
      const em = orm.em.fork();
      const where = definedOnly({ status, customerId: customer, contractReference: contract_reference, sourceInvoiceId: source_invoice });
      const plans = await em.find(
        InstalmentPlan,
        { $and: [where, await cursorFilter(em, InstalmentPlan, starting_after)] },
        { orderBy: { id: 'desc' }, limit: limit + 1 },
      );
      return { object: 'list' as const, data: await withInstalments(em, plans.slice(0, limit)), has_more: plans.length > limit };
    },
  );

  app.get(
    '/instalment-plans/:id',
    {
      config: read,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Retrieve a plan with its schedule and balances',
        params: IdParams,
        response: { 200: InstalmentPlanResource, '4xx': ErrorSchema },
      },
    },
    async (request) => load(request.params.id),
  );

  /**
   * A change goes to the plan's workflow, which owns the schedule; the answer is read back from the database.
   * `send` sends the update through `updateWorkflow`, which waits no longer than the answer deadline.
   */
  async function change(id: string, what: string, send: (workflowId: string) => Promise<unknown>) {
    const plan = await orm.em.fork().findOne(InstalmentPlan, { id });
    if (!plan) throw notFound('instalment plan', id);
    if (plan.status === 'incomplete') throw conflict('plan_incomplete', `Instalment plan ${id} is still being set up; retry shortly.`);
    // Its workflow may have ended: answer as the workflow's own rule would.
    if (plan.status === 'completed' || plan.status === 'canceled') throw conflict('plan_closed', `Instalment plan ${id} is ${plan.status}.`);
    try {
      await send(plan.workflowId);
    } catch (err) {
      throw workflowCallError(err, `Cannot ${what} instalment plan ${id}`);
    }
    return load(id);
  }

  const futureDate = (param: string, value: string): string => {
    if (Date.parse(value) < Date.now() - CLOCK_SKEW_MS) throw invalidParam(param, `${param} must not be in the past.`);
    return new Date(value).toISOString();
  };

  app.post(
    '/instalment-plans/:id/instalments/:number',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Change the amount or due date of a future instalment',
        description:
          'Only a scheduled (not yet invoiced) instalment can change. With keep_total (default) an amount change is spread over the other ' +
          'scheduled instalments so the plan total stays the same. Loans (with interest) accept date changes only.',
        params: InstalmentParams,
        body: EditInstalmentBody,
        response: { 200: InstalmentPlanResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { amount, due_date, keep_total } = request.body;
      if (amount === undefined && due_date === undefined) throw invalidParam('amount', 'Give amount, due_date, or both.');
      const dueDate = due_date === undefined ? undefined : futureDate('due_date', due_date);
      return change(request.params.id, 'edit an instalment of', (wf) =>
        updateWorkflow(wf, editInstalmentUpdate, [{ number: request.params.number, ...definedOnly({ amount, dueDate, keepTotal: keep_total }) }]),
      );
    },
  );

  app.delete(
    '/instalment-plans/:id/instalments/:number',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Delete a future instalment',
        description: 'With keep_total (default) its amount is spread over the other scheduled instalments; without, the plan total shrinks.',
        params: InstalmentParams,
        querystring: DeleteInstalmentQuery,
        response: { 200: InstalmentPlanResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'delete an instalment of', (wf) =>
        updateWorkflow(wf, deleteInstalmentUpdate, [{ number: request.params.number, ...definedOnly({ keepTotal: request.query.keep_total }) }]),
      ),
  );

  app.post(
    '/instalment-plans/:id/reschedule',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Move the rest of the schedule',
        description: 'The next scheduled instalment moves to first_due_date; the later ones keep their spacing. Amounts do not change.',
        params: IdParams,
        body: RescheduleBody,
        response: { 200: InstalmentPlanResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const firstDueDate = futureDate('first_due_date', request.body.first_due_date);
      return change(request.params.id, 'reschedule', (wf) => updateWorkflow(wf, rescheduleUpdate, [{ firstDueDate }]));
    },
  );

  app.post(
    '/instalment-plans/:id/pay-early',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Invoice (and charge) an instalment now instead of on its due date',
        params: IdParams,
        body: PayEarlyBody,
        response: { 200: InstalmentPlanResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'pay early on', (wf) =>
        updateWorkflow(wf, payEarlyUpdate, [definedOnly({ number: request.body?.number })]),
      ),
  );

  app.post(
    '/instalment-plans/:id/pay-off',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Pay off the rest of the plan now',
        description:
          'Every scheduled instalment is replaced by one payoff instalment for the principal still owed, invoiced now. ' +
          'Interest that is not yet due is waived. Instalments already invoiced are collected as they are.',
        params: IdParams,
        response: { 200: InstalmentPlanResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => change(request.params.id, 'pay off', (wf) => updateWorkflow(wf, payOffUpdate)),
  );

  app.post(
    '/instalment-plans/:id/cancel',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Cancel the plan',
        description: 'Nothing more is invoiced; invoices already issued stay open and are still collected.',
        params: IdParams,
        body: CancelBody,
        response: { 200: InstalmentPlanResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'cancel', (wf) => updateWorkflow(wf, cancelPlanUpdate, [definedOnly({ reason: request.body?.reason })])),
  );

  app.post(
    '/instalment-plans/:id/pause',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Stop invoicing until resumed',
        params: IdParams,
        response: { 200: InstalmentPlanResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => change(request.params.id, 'pause', (wf) => updateWorkflow(wf, pausePlanUpdate)),
  );

  app.post(
    '/instalment-plans/:id/resume',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Resume a paused plan',
        description: 'Instalments that fell due while paused are invoiced straight away.',
        params: IdParams,
        response: { 200: InstalmentPlanResource, 202: PendingChangeResource, '4xx': ErrorSchema },
      },
    },
    async (request) => change(request.params.id, 'resume', (wf) => updateWorkflow(wf, resumePlanUpdate)),
  );
};
