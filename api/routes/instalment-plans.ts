/**
 * `/v1/instalment-plans`: payment schedules, split invoices, leases and loans. The API validates and
 * builds the schedule (domain/instalment-schedule.ts), writes the plan once, and starts its workflow
 * (`instalment-plan-<id>`), which owns the schedule from then on: every change is an update on that
 * workflow, validated there, and the answer is read back from the records it writes.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Customer, Instalment, InstalmentPlan, Invoice } from '../../db/entities';
import { newId } from '../../db/ids';
import { INTERVAL_UNITS } from '../../domain/frequency';
import { MoneyError } from '../../domain/money';
import { PAYMENT_TERMS, type PaymentTerms } from '../../domain/payment-terms';
import { PERCENTAGE_PATTERN, formatPercentage } from '../../domain/pricing';
import {
  InstalmentScheduleError,
  MAX_INSTALMENTS,
  SCHEDULE_METHODS,
  buildInstalmentSchedule,
  parseAnnualInterestRate,
  type InstalmentSchedule,
  type ScheduleInput,
} from '../../domain/instalment-schedule';
import type { PlanInstalment } from '../../domain/instalment-changes';
import {
  addInstalmentPlanRecords,
  newInstalmentPlanFields,
  startInstalmentPlanWorkflow,
  toPlanInstalments,
} from '../../services/instalment-plans/start-instalment-plan';
import { invoiceCollectionWorkflowId, voidInvoiceUpdate } from '../../workflows/invoice-collection/contract';
import {
  cancelPlanUpdate,
  deleteInstalmentUpdate,
  editInstalmentUpdate,
  pausePlanUpdate,
  payEarlyUpdate,
  payOffUpdate,
  rescheduleUpdate,
  resumePlanUpdate,
  waitUntilPlanRecordedUpdate,
} from '../../workflows/instalment-plan/contract';
import type { instalmentPlanWorkflow } from '../../workflows/instalment-plan/workflow';
import { ApiError, ErrorSchema, conflict, invalidParam, missingReference, notFound, unprocessable } from '../errors';
import { IdParams, ListQuery, Metadata, Nullable, Timestamp, cursorFilter, definedOnly, iso, listOf } from '../schemas';
import { workflowCallError } from '../workflow-errors';
import { PaidThisMonth, paidThisMonthByPlan } from './instalment-balances';

/** A date this far in the past is a client clock skew, treated as "now"; further back is an error. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

const PlanStatus = Type.Enum(['incomplete', 'active', 'paused', 'completed', 'canceled'], {
  description: 'incomplete: being set up; paused: nothing is invoiced until resumed; completed: every instalment settled',
});
const InstalmentStatus = Type.Enum(['scheduled', 'invoiced', 'paid', 'failed', 'overdue', 'written_off', 'canceled'], {
  description:
    'invoiced: its invoice is being collected; failed: dunning gave up, the invoice is past due; overdue: the plan was canceled ' +
    'after a failed instalment and this one was never invoiced; canceled: no longer owed (plan canceled, paid off, or invoice voided)',
});
const Percentage = Type.String({ pattern: PERCENTAGE_PATTERN, description: 'Percent as a decimal string, up to 4 decimals: "20", "12.5"' });
const Amount = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Minor units (cents; yen for JPY)' });
const PositiveCount = Type.Integer({ minimum: 1, maximum: MAX_INSTALMENTS });

const InstalmentResource = Type.Object({
  number: Type.Integer({ description: 'Stable: edits and deletes never renumber' }),
  kind: Type.Enum(['down_payment', 'instalment', 'payoff']),
  due_date: Timestamp,
  amount: Type.Integer({ description: 'principal + interest' }),
  principal: Type.Integer(),
  interest: Type.Integer(),
  remaining_principal: Type.Integer({ description: 'Principal still owed once this instalment is paid' }),
  status: InstalmentStatus,
  invoice: Nullable(Type.String()),
  paid_at: Nullable(Timestamp),
  reminded_at: Nullable(Timestamp),
});

const Balances = Type.Object({
  total: Type.Integer({ description: 'What the plan collects: the sum of every instalment still owed or paid' }),
  paid_amount: Type.Integer(),
  payment_count: Type.Integer(),
  remaining_balance: Type.Integer(),
  remaining_principal: Type.Integer(),
  next_payment_date: Nullable(Timestamp),
  paid_this_month: PaidThisMonth,
});

export const InstalmentPlanResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('instalment_plan'),
    customer: Type.String(),
    description: Type.String(),
    contract_reference: Nullable(Type.String()),
    currency: Type.String(),
    method: Type.Enum([...SCHEDULE_METHODS]),
    status: PlanStatus,
    principal: Type.Integer(),
    interest_total: Type.Integer(),
    annual_interest_rate: Nullable(Type.String()),
    recurring: Nullable(Type.Object({ interval: Type.String(), interval_count: Type.Integer() })),
    collection_method: Type.Enum(['charge_automatically', 'send_invoice']),
    payment_terms: Type.String(),
    reminder_days_before: Type.Integer(),
    remind_customer: Type.Boolean(),
    on_permanent_failure: Type.Enum(['continue', 'pause', 'cancel']),
    account_manager_email: Nullable(Type.String()),
    source_invoice: Nullable(Type.String({ description: 'The invoice this plan split into parts (it is void, replaced by the plan)' })),
    balances: Balances,
    cancellation_reason: Nullable(Type.String()),
    canceled_at: Nullable(Timestamp),
    completed_at: Nullable(Timestamp),
    time_zone: Type.String(),
    workflow_id: Type.String(),
    instalments: Type.Array(InstalmentResource),
    metadata: Metadata,
    created_at: Timestamp,
  },
  { $id: 'InstalmentPlan' },
);

const DownPayment = Type.Object(
  { amount: Type.Optional(Amount), percent: Type.Optional(Percentage) },
  { additionalProperties: false, description: 'Either amount or percent of the total; due on first_payment_date' },
);

const CustomInstalment = Type.Object(
  {
    due_date: Type.String({ format: 'date-time' }),
    amount: Type.Optional(Amount),
    percent: Type.Optional(Percentage),
  },
  { additionalProperties: false },
);

const ScheduleFields = {
  method: Type.Optional(Type.Enum([...SCHEDULE_METHODS], { description: 'equal (default): count equal instalments; full: one payment; custom: give instalments' })),
  count: Type.Optional(PositiveCount),
  interval: Type.Optional(Type.Enum([...INTERVAL_UNITS], { description: 'Spacing of equal instalments (default month)' })),
  interval_count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Every N intervals (default 1)' })),
  down_payment: Type.Optional(DownPayment),
  first_payment_date: Type.Optional(Type.String({ format: 'date-time', description: 'Default now. Later instalments follow the calendar from it.' })),
  annual_interest_rate: Type.Optional(Percentage),
  instalments: Type.Optional(Type.Array(CustomInstalment, { minItems: 1, maxItems: MAX_INSTALMENTS, description: 'custom only' })),
};

const CreatePlan = Type.Object(
  {
    customer: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Required unless invoice is given' })),
    invoice: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Split this open, unpaid invoice: it is voided and replaced by the plan' })),
    total: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Minor units; required unless invoice is given' })),
    description: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    contract_reference: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The lease, loan or deal; balances are summed per contract' })),
    ...ScheduleFields,
    collection_method: Type.Optional(Type.Enum(['charge_automatically', 'send_invoice'])),
    payment_terms: Type.Optional(
      Type.Enum([...PAYMENT_TERMS], { description: "Of each instalment's invoice, from when it is issued; custom: due on the instalment's due date" }),
    ),
    reminder_days_before: Type.Optional(Type.Integer({ minimum: 0, maximum: 60, description: 'Default 3; 0: no reminder' })),
    remind_customer: Type.Optional(Type.Boolean({ description: 'Also remind the customer (default false: only the account manager)' })),
    on_permanent_failure: Type.Optional(
      Type.Enum(['continue', 'pause', 'cancel'], {
        description: 'When dunning gives up on an instalment: keep invoicing the next ones (default), pause the plan, or cancel it with the rest overdue',
      }),
    ),
    account_manager_email: Type.Optional(Type.String({ format: 'email', maxLength: 254, description: "Reminders go here; default the customer's account owner" })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
type CreatePlan = Static<typeof CreatePlan>;

const SchedulePreview = Type.Object(
  {
    object: Type.Literal('instalment_schedule'),
    currency: Type.String(),
    method: Type.Enum([...SCHEDULE_METHODS]),
    principal: Type.Integer(),
    interest_total: Type.Integer(),
    total: Type.Integer(),
    instalments: Type.Array(
      Type.Object({
        number: Type.Integer(),
        kind: Type.Enum(['down_payment', 'instalment', 'payoff']),
        due_date: Timestamp,
        amount: Type.Integer(),
        principal: Type.Integer(),
        interest: Type.Integer(),
        remaining_principal: Type.Integer(),
      }),
    ),
  },
  { $id: 'InstalmentSchedule' },
);

const InstalmentParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), number: Type.Integer({ minimum: 1, maximum: 100_000 }) });

const EditInstalmentBody = Type.Object(
  {
    amount: Type.Optional(Amount),
    due_date: Type.Optional(Type.String({ format: 'date-time' })),
    keep_total: Type.Optional(Type.Boolean({ description: 'Default true: the difference is spread over the other scheduled instalments' })),
  },
  { additionalProperties: false },
);
const DeleteInstalmentQuery = Type.Object(
  { keep_total: Type.Optional(Type.Boolean({ description: "Default true: the instalment's amount is spread over the other scheduled ones" })) },
  { additionalProperties: false },
);
const RescheduleBody = Type.Object(
  { first_due_date: Type.String({ format: 'date-time', description: 'The next scheduled instalment moves here; later ones keep their spacing' }) },
  { additionalProperties: false },
);
const PayEarlyBody = Type.Object(
  { number: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Default: the next scheduled instalment' })) },
  { additionalProperties: false },
);
const CancelBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });

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
async function withInstalments(em: EntityManager, plans: InstalmentPlan[]) {
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

/** The schedule maths speaks of `custom[2][amount]`; the API field is `instalments`. */
const apiParam = (param: string): string => param.replace(/^custom\b/, 'instalments');

/** Schedule fields of the request, as the domain builder takes them; its errors name the API field. */
function scheduleFor(body: CreatePlan, total: number, currency: string, timeZone: string, now: Date): InstalmentSchedule {
  const method = body.method ?? 'equal';
  if (method === 'equal' && body.count === undefined) throw invalidParam('count', 'count is required for method=equal.');
  const firstPaymentDate = body.first_payment_date ?? now.toISOString();
  if (Date.parse(firstPaymentDate) < now.getTime() - CLOCK_SKEW_MS) throw invalidParam('first_payment_date', 'first_payment_date must not be in the past.');
  body.instalments?.forEach((item, index) => {
    if (Date.parse(item.due_date) < now.getTime() - CLOCK_SKEW_MS) {
      throw invalidParam(`instalments[${index}][due_date]`, `instalments[${index}][due_date] must not be in the past.`);
    }
  });
  if (body.down_payment && (body.down_payment.amount === undefined) === (body.down_payment.percent === undefined)) {
    throw invalidParam('down_payment', 'down_payment takes either amount or percent.');
  }
  const input: ScheduleInput = {
    currency,
    total,
    method,
    timeZone,
    firstPaymentDate: Date.parse(firstPaymentDate) < now.getTime() ? now.toISOString() : firstPaymentDate,
    count: body.count,
    // Given to full and custom plans too, so the builder refuses it by name instead of ignoring it.
    interval:
      method === 'equal' || body.interval !== undefined || body.interval_count !== undefined
        ? { unit: body.interval ?? 'month', count: body.interval_count ?? 1 }
        : undefined,
    downPayment: body.down_payment ? (body.down_payment.amount !== undefined ? { amount: body.down_payment.amount } : { percent: body.down_payment.percent! }) : undefined,
    annualInterestRate: body.annual_interest_rate,
    custom: body.instalments?.map((item) => ({ dueDate: item.due_date, amount: item.amount, percent: item.percent })),
  };
  try {
    return buildInstalmentSchedule(input);
  } catch (err) {
    if (err instanceof InstalmentScheduleError) throw invalidParam(apiParam(err.param), err.message.replace(/\bcustom\b/g, 'instalments'));
    if (err instanceof MoneyError) throw unprocessable('total', 'amount_too_large', err.message);
    throw err;
  }
}


export interface InstalmentPlanRoutesOptions {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  workflowAnswerTimeoutMs: number;
}

export const instalmentPlansRoutes: FastifyPluginAsyncTypebox<InstalmentPlanRoutesOptions> = async (
  app,
  { orm, temporal, taskQueue, workflowAnswerTimeoutMs },
) => {
  const withinDeadline = <R>(call: () => Promise<R>): Promise<R> => temporal.withDeadline(Date.now() + workflowAnswerTimeoutMs, call);
  const read = { roles: ['admin', 'operator', 'sales'] as const };
  const create = { roles: ['admin', 'operator', 'sales'] as const };
  const act = { roles: ['admin', 'operator'] as const };

  async function load(id: string) {
    const em = orm.em.fork();
    const plan = await em.findOne(InstalmentPlan, { id });
    if (!plan) throw notFound('instalment plan', id);
    return (await withInstalments(em, [plan]))[0]!;
  }

  /** What the plan is built on: a customer and a total, or an open invoice to split. */
  async function basis(em: EntityManager, body: CreatePlan) {
    if (body.invoice !== undefined) {
      if (body.total !== undefined) throw invalidParam('total', 'total comes from the invoice; give invoice or total, not both.');
      const invoice = await em.findOne(Invoice, { id: body.invoice });
      if (!invoice) throw missingReference('invoice', 'invoice', body.invoice);
      if (body.customer !== undefined && body.customer !== invoice.customerId) {
        throw invalidParam('customer', `Invoice ${invoice.id} belongs to customer ${invoice.customerId}.`);
      }
      const customer = await em.findOneOrFail(Customer, { id: invoice.customerId });
      return { customer, invoice, total: invoice.amountDue, currency: invoice.currency };
    }
    if (body.customer === undefined) throw invalidParam('customer', 'customer is required unless invoice is given.');
    if (body.total === undefined) throw invalidParam('total', 'total is required unless invoice is given.');
    const customer = await em.findOne(Customer, { id: body.customer });
    if (!customer) throw missingReference('customer', 'customer', body.customer);
    return { customer, invoice: null, total: body.total, currency: customer.currency };
  }

  /** An invoice can be split while it is open and nothing has been paid on it. */
  function checkSplittable(invoice: Invoice): void {
    if (invoice.instalmentPlanId) {
      throw unprocessable('invoice', 'invoice_is_instalment', `Invoice ${invoice.id} is already an instalment of plan ${invoice.instalmentPlanId}.`);
    }
    if (invoice.status !== 'open') {
      throw unprocessable('invoice', 'invoice_not_open', `Only an open invoice can be split into instalments; invoice ${invoice.id} is ${invoice.status}.`);
    }
    if (invoice.amountPaid > 0) {
      throw unprocessable('invoice', 'invoice_partially_paid', `Invoice ${invoice.id} already has ${invoice.amountPaid} paid on it; split only an unpaid invoice.`);
    }
  }

  /** Voids the split invoice through its collection workflow, which refuses if money arrived meanwhile. */
  async function voidSplitInvoice(invoice: Invoice): Promise<void> {
    try {
      await withinDeadline(() => temporal.workflow.getHandle(invoiceCollectionWorkflowId(invoice.id)).executeUpdate(voidInvoiceUpdate));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw conflict('collection_not_running', `Invoice ${invoice.id} has no collection in progress, so it cannot be split.`);
      }
      throw workflowCallError(err, `Cannot split invoice ${invoice.id}`);
    }
  }

  async function startWorkflow(plan: InstalmentPlan, instalments: PlanInstalment[], requestLog: { warn: (obj: object, msg: string) => void }) {
    const handle = await startInstalmentPlanWorkflow(temporal, taskQueue, plan, instalments);
    try {
      await withinDeadline(() => handle.executeUpdate(waitUntilPlanRecordedUpdate));
    } catch (err) {
      // The workflow is started and durable; it records its state as soon as a worker picks it up.
      requestLog.warn({ err, planId: plan.id }, 'instalment plan started; its first state write is still pending');
    }
  }

  app.post(
    '/v1/instalment-plans/preview',
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
    async (request) => {
      const em = orm.em.fork();
      const { customer, invoice, total, currency } = await basis(em, request.body);
      if (invoice) checkSplittable(invoice);
      const schedule = scheduleFor(request.body, total, currency, customer.timeZone, new Date());
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
    },
  );

  app.post(
    '/v1/instalment-plans',
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
    async (request) => {
      const body = request.body;
      const em = orm.em.fork();
      const { customer, invoice, total, currency } = await basis(em, body);
      const collectionMethod = body.collection_method ?? (invoice ? (invoice.collectionMethod as 'charge_automatically' | 'send_invoice') : 'charge_automatically');
      if (collectionMethod === 'charge_automatically' && !customer.defaultPaymentMethod) {
        throw unprocessable(
          'customer',
          'no_payment_method',
          `Customer ${customer.id} has no default_payment_method to charge; set one or use collection_method=send_invoice.`,
        );
      }

      // A split that failed after voiding its invoice is finished by repeating the request.
      if (invoice) {
        const earlier = await em.findOne(InstalmentPlan, { sourceInvoiceId: invoice.id });
        if (earlier && earlier.status !== 'incomplete') {
          throw conflict('invoice_already_split', `Invoice ${invoice.id} was already split into instalment plan ${earlier.id}.`);
        }
        if (earlier) return resumeSplit(earlier, invoice, request.log);
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
          throw conflict('invoice_already_split', `Invoice ${invoice.id} is already being split into another instalment plan.`);
        }
        throw err;
      }

      if (invoice) {
        try {
          await voidSplitInvoice(invoice);
        } catch (err) {
          // Nothing was replaced: no plan either.
          await orm.em.fork().nativeDelete(InstalmentPlan, { id });
          throw err;
        }
        return resumeSplit(plan, invoice, request.log, instalments);
      }
      try {
        await startWorkflow(plan, instalments, request.log);
      } catch (err) {
        // No workflow, no plan: never leave a schedule that nothing will ever invoice.
        await orm.em.fork().nativeDelete(InstalmentPlan, { id });
        throw workflowCallError(err, `Cannot start instalment plan ${id}`);
      }
      return load(id);
    },
  );

  /**
   * The steps of a split after the original invoice is void: point it at the plan, start the plan.
   * Starting is idempotent, so a request repeated after a failure here finishes the job.
   */
  async function resumeSplit(plan: InstalmentPlan, invoice: Invoice, requestLog: { warn: (obj: object, msg: string) => void }, instalments?: PlanInstalment[]) {
    const em = orm.em.fork();
    if (invoice.status !== 'void') {
      const fresh = await em.findOneOrFail(Invoice, { id: invoice.id });
      if (fresh.status !== 'void') await voidSplitInvoice(fresh);
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
      await startWorkflow(plan, schedule, requestLog);
    } catch (err) {
      const mapped = workflowCallError(err, `Cannot start instalment plan ${plan.id}`);
      // Already started by an earlier attempt: the plan exists, answer with it.
      if (!(mapped instanceof ApiError && mapped.code === 'workflow_already_started')) throw mapped;
    }
    return load(plan.id);
  }

  app.get(
    '/v1/instalment-plans',
    {
      config: read,
      schema: {
        tags: ['instalment-plans'],
        summary: 'List instalment plans, newest first',
        querystring: Type.Object(
          {
            ...ListQuery,
            status: Type.Optional(PlanStatus),
            customer: Type.Optional(Type.String({ maxLength: 64 })),
            contract_reference: Type.Optional(Type.String({ maxLength: 200 })),
            source_invoice: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
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
    '/v1/instalment-plans/:id',
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

  /** A change goes to the plan's workflow, which owns the schedule; the answer is read back from the database. */
  async function change(id: string, what: string, send: (workflowId: string) => Promise<unknown>) {
    const plan = await orm.em.fork().findOne(InstalmentPlan, { id });
    if (!plan) throw notFound('instalment plan', id);
    if (plan.status === 'incomplete') throw conflict('plan_incomplete', `Instalment plan ${id} is still being set up; retry shortly.`);
    // Its workflow may have ended: answer as the workflow's own rule would.
    if (plan.status === 'completed' || plan.status === 'canceled') throw conflict('plan_closed', `Instalment plan ${id} is ${plan.status}.`);
    try {
      await withinDeadline(() => send(plan.workflowId));
    } catch (err) {
      throw workflowCallError(err, `Cannot ${what} instalment plan ${id}`);
    }
    return load(id);
  }
  const handle = (workflowId: string) => temporal.workflow.getHandle<typeof instalmentPlanWorkflow>(workflowId);

  const futureDate = (param: string, value: string): string => {
    if (Date.parse(value) < Date.now() - CLOCK_SKEW_MS) throw invalidParam(param, `${param} must not be in the past.`);
    return new Date(value).toISOString();
  };

  app.post(
    '/v1/instalment-plans/:id/instalments/:number',
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
        response: { 200: InstalmentPlanResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { amount, due_date, keep_total } = request.body;
      if (amount === undefined && due_date === undefined) throw invalidParam('amount', 'Give amount, due_date, or both.');
      const dueDate = due_date === undefined ? undefined : futureDate('due_date', due_date);
      return change(request.params.id, 'edit an instalment of', (wf) =>
        handle(wf).executeUpdate(editInstalmentUpdate, {
          args: [{ number: request.params.number, ...definedOnly({ amount, dueDate, keepTotal: keep_total }) }],
        }),
      );
    },
  );

  app.delete(
    '/v1/instalment-plans/:id/instalments/:number',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Delete a future instalment',
        description: 'With keep_total (default) its amount is spread over the other scheduled instalments; without, the plan total shrinks.',
        params: InstalmentParams,
        querystring: DeleteInstalmentQuery,
        response: { 200: InstalmentPlanResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'delete an instalment of', (wf) =>
        handle(wf).executeUpdate(deleteInstalmentUpdate, {
          args: [{ number: request.params.number, ...definedOnly({ keepTotal: request.query.keep_total }) }],
        }),
      ),
  );

  app.post(
    '/v1/instalment-plans/:id/reschedule',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Move the rest of the schedule',
        description: 'The next scheduled instalment moves to first_due_date; the later ones keep their spacing. Amounts do not change.',
        params: IdParams,
        body: RescheduleBody,
        response: { 200: InstalmentPlanResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const firstDueDate = futureDate('first_due_date', request.body.first_due_date);
      return change(request.params.id, 'reschedule', (wf) => handle(wf).executeUpdate(rescheduleUpdate, { args: [{ firstDueDate }] }));
    },
  );

  app.post(
    '/v1/instalment-plans/:id/pay-early',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Invoice (and charge) an instalment now instead of on its due date',
        params: IdParams,
        body: PayEarlyBody,
        response: { 200: InstalmentPlanResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'pay early on', (wf) =>
        handle(wf).executeUpdate(payEarlyUpdate, { args: [definedOnly({ number: request.body?.number })] }),
      ),
  );

  app.post(
    '/v1/instalment-plans/:id/pay-off',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Pay off the rest of the plan now',
        description:
          'Every scheduled instalment is replaced by one payoff instalment for the principal still owed, invoiced now. ' +
          'Interest that is not yet due is waived. Instalments already invoiced are collected as they are.',
        params: IdParams,
        response: { 200: InstalmentPlanResource, '4xx': ErrorSchema },
      },
    },
    async (request) => change(request.params.id, 'pay off', (wf) => handle(wf).executeUpdate(payOffUpdate)),
  );

  app.post(
    '/v1/instalment-plans/:id/cancel',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Cancel the plan',
        description: 'Nothing more is invoiced; invoices already issued stay open and are still collected.',
        params: IdParams,
        body: CancelBody,
        response: { 200: InstalmentPlanResource, '4xx': ErrorSchema },
      },
    },
    async (request) =>
      change(request.params.id, 'cancel', (wf) => handle(wf).executeUpdate(cancelPlanUpdate, { args: [definedOnly({ reason: request.body?.reason })] })),
  );

  app.post(
    '/v1/instalment-plans/:id/pause',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Stop invoicing until resumed',
        params: IdParams,
        response: { 200: InstalmentPlanResource, '4xx': ErrorSchema },
      },
    },
    async (request) => change(request.params.id, 'pause', (wf) => handle(wf).executeUpdate(pausePlanUpdate)),
  );

  app.post(
    '/v1/instalment-plans/:id/resume',
    {
      config: act,
      schema: {
        tags: ['instalment-plans'],
        summary: 'Resume a paused plan',
        description: 'Instalments that fell due while paused are invoiced straight away.',
        params: IdParams,
        response: { 200: InstalmentPlanResource, '4xx': ErrorSchema },
      },
    },
    async (request) => change(request.params.id, 'resume', (wf) => handle(wf).executeUpdate(resumePlanUpdate)),
  );
};
