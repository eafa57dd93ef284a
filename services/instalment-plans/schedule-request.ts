/**
 * What a plan request is built on and the schedule it asks for: shared by previewing a schedule and
 * creating a plan, so both refuse the same requests with the same words. Error messages name the
 * API's fields (`instalments[0][due_date]`), as the request arrives in that shape.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, Invoice } from '../../db/entities';
import type { IntervalUnit } from '../../domain/frequency';
import { MoneyError } from '../../domain/money';
import type { PaymentTerms } from '../../domain/payment-terms';
import {
  InstalmentScheduleError,
  buildInstalmentSchedule,
  type InstalmentSchedule,
  type ScheduleInput,
  type ScheduleMethod,
} from '../../domain/instalment-schedule';
import { Refusal, invalidInput, missingReference } from '../../domain/rule-violation';
import { checkSplittable } from './split-invoice';

/** A date this far in the past is a client clock skew, treated as "now"; further back is an error. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** A plan request as the API takes it (`POST /v1/instalment-plans` and its preview). */
export interface PlanRequest {
  customer?: string;
  invoice?: string;
  total?: number;
  description?: string;
  contract_reference?: string;
  method?: ScheduleMethod;
  count?: number;
  interval?: IntervalUnit;
  interval_count?: number;
  down_payment?: { amount?: number; percent?: string };
  first_payment_date?: string;
  annual_interest_rate?: string;
  instalments?: { due_date: string; amount?: number; percent?: string }[];
  collection_method?: 'charge_automatically' | 'send_invoice';
  payment_terms?: PaymentTerms;
  reminder_days_before?: number;
  remind_customer?: boolean;
  on_permanent_failure?: 'continue' | 'pause' | 'cancel';
  account_manager_email?: string;
  metadata?: Record<string, string>;
}

/** What the plan is built on: a customer and a total, or an open invoice to split. */
export async function planBasis(em: EntityManager, body: PlanRequest) {
  if (body.invoice !== undefined) {
    if (body.total !== undefined) throw invalidInput('total', 'total comes from the invoice; give invoice or total, not both.');
    const invoice = await em.findOne(Invoice, { id: body.invoice });
    if (!invoice) throw missingReference('invoice', 'invoice', body.invoice);
    if (body.customer !== undefined && body.customer !== invoice.customerId) {
      throw invalidInput('customer', `Invoice ${invoice.id} belongs to customer ${invoice.customerId}.`);
    }
    const customer = await em.findOneOrFail(Customer, { id: invoice.customerId });
    return { customer, invoice, total: invoice.amountDue, currency: invoice.currency };
  }
  if (body.customer === undefined) throw invalidInput('customer', 'customer is required unless invoice is given.');
  if (body.total === undefined) throw invalidInput('total', 'total is required unless invoice is given.');
  const customer = await em.findOne(Customer, { id: body.customer });
  if (!customer) throw missingReference('customer', 'customer', body.customer);
  return { customer, invoice: null, total: body.total, currency: customer.currency };
}

/** The schedule maths speaks of `custom[2][amount]`; the API field is `instalments`. */
const apiParam = (param: string): string => param.replace(/^custom\b/, 'instalments');

/** Schedule fields of the request, as the domain builder takes them; its errors name the API field. */
export function scheduleFor(
  body: PlanRequest,
  total: number,
  currency: string,
  timeZone: string,
  now: Date,
): InstalmentSchedule {
  const method = body.method ?? 'equal';
  if (method === 'equal' && body.count === undefined) throw invalidInput('count', 'count is required for method=equal.');
  const firstPaymentDate = body.first_payment_date ?? now.toISOString();
  if (Date.parse(firstPaymentDate) < now.getTime() - CLOCK_SKEW_MS) {
    throw invalidInput('first_payment_date', 'first_payment_date must not be in the past.');
  }
  body.instalments?.forEach((item, index) => {
    if (Date.parse(item.due_date) < now.getTime() - CLOCK_SKEW_MS) {
      throw invalidInput(`instalments[${index}][due_date]`, `instalments[${index}][due_date] must not be in the past.`);
    }
  });
  if (body.down_payment && (body.down_payment.amount === undefined) === (body.down_payment.percent === undefined)) {
    throw invalidInput('down_payment', 'down_payment takes either amount or percent.');
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
    if (err instanceof InstalmentScheduleError) throw invalidInput(apiParam(err.param), err.message.replace(/\bcustom\b/g, 'instalments'));
    if (err instanceof MoneyError) throw new Refusal('amount_too_large', err.message, 'total');
    throw err;
  }
}

/** The schedule a request would create, nothing written: `POST /v1/instalment-plans/preview`. */
export async function previewInstalmentSchedule(em: EntityManager, body: PlanRequest): Promise<InstalmentSchedule> {
  const { customer, invoice, total, currency } = await planBasis(em, body);
  if (invoice) checkSplittable(invoice);
  return scheduleFor(body, total, currency, customer.timeZone, new Date());
}
