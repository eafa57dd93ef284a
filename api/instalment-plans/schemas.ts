/**
 * The request and response shapes of `/v1/instalment-plans`. The plan resource is registered once
 * (`$id: InstalmentPlan`); the create body doubles as the preview body.
 */
import { Type, type Static } from 'typebox';
import { INTERVAL_UNITS } from '../../domain/frequency';
import { PAYMENT_TERMS } from '../../domain/payment-terms';
import { PERCENTAGE_PATTERN } from '../../domain/pricing';
import { MAX_INSTALMENTS, SCHEDULE_METHODS } from '../../domain/instalment-schedule';
import { ListQuery, Metadata, Nullable, Timestamp } from '../schemas';
import { PaidThisMonth } from './balances';

export const PlanStatus = Type.Enum(['incomplete', 'active', 'paused', 'completed', 'canceled'], {
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

export const CreatePlan = Type.Object(
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
export type CreatePlan = Static<typeof CreatePlan>;

export const SchedulePreview = Type.Object(
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

export const InstalmentParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), number: Type.Integer({ minimum: 1, maximum: 100_000 }) });

export const EditInstalmentBody = Type.Object(
  {
    amount: Type.Optional(Amount),
    due_date: Type.Optional(Type.String({ format: 'date-time' })),
    keep_total: Type.Optional(Type.Boolean({ description: 'Default true: the difference is spread over the other scheduled instalments' })),
  },
  { additionalProperties: false },
);
export const DeleteInstalmentQuery = Type.Object(
  { keep_total: Type.Optional(Type.Boolean({ description: "Default true: the instalment's amount is spread over the other scheduled ones" })) },
  { additionalProperties: false },
);
export const RescheduleBody = Type.Object(
  { first_due_date: Type.String({ format: 'date-time', description: 'The next scheduled instalment moves here; later ones keep their spacing' }) },
  { additionalProperties: false },
);
export const PayEarlyBody = Type.Object(
  { number: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Default: the next scheduled instalment' })) },
  { additionalProperties: false },
);
export const CancelBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false });

export const ListPlansQuery = Type.Object(
  {
    ...ListQuery,
    status: Type.Optional(PlanStatus),
    customer: Type.Optional(Type.String({ maxLength: 64 })),
    contract_reference: Type.Optional(Type.String({ maxLength: 200 })),
    source_invoice: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
