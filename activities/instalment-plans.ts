import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { DateTime } from 'luxon';
import type { ActivityDeps } from './deps';
import { Customer, Instalment, InstalmentPlan, Invoice, type InstalmentKind, type InstalmentPlanStatus } from '../db/entities';
import { newId } from '../db/ids';
import { computeDueDate } from '../domain/payment-terms';
import { formatMoney } from '../domain/money';
import type { PlanBalances, PlanInstalment } from '../domain/instalment-changes';
import { recordNotFound } from './errors';
import { DEFAULT_INVOICE_NUMBER_FORMAT } from '../services/invoices/invoice-numbering';
import { issueInvoice, priceInvoice } from '../services/invoices/invoice-records';
import { summariseInvoice, type InvoiceSummary } from './invoicing';
import { queueAndDeliver } from './email/outbox';
import { renderEmail } from './email/templates';
import { brandEmailView, loadBrand } from '../services/documents/brand';
import { customerLinks } from './email/customer-links';
import { instalmentRowFields } from '../services/instalment-plans/instalment-rows';

export interface InstalmentPlanStateRecord {
  planId: string;
  status: Exclude<InstalmentPlanStatus, 'incomplete'>;
  /** The instalments that changed since the last write (all of them on a run's first write). */
  instalments: PlanInstalment[];
  balances: PlanBalances;
  /** Interest of every instalment still in the plan (a payoff waives what was not yet due). */
  interestTotal: number;
  cancellationReason: string | null;
  canceledAt: string | null;
  completedAt: string | null;
}

export interface CreateInstalmentInvoiceInput {
  planId: string;
  instalment: { number: number; kind: InstalmentKind; dueDate: string; amount: number; principal: number; interest: number };
  /** Workflow time at which the invoice is issued (the due date, or earlier when paid early). */
  issuedAt: string;
}

const toDate = (iso: string | null | undefined): Date | null => (iso ? new Date(iso) : null);

const KIND_LABELS: Record<InstalmentKind, (n: number) => string> = {
  down_payment: () => 'Down payment',
  instalment: (n) => `Instalment ${n}`,
  payoff: () => 'Payoff of the remaining balance',
};

/** Instalment plans' records: the plan's read model, each instalment's invoice, and reminders. */
export function instalmentPlanActivities(deps: ActivityDeps) {
  const { orm, mailer, emailFrom, invoiceNumberPrefix, invoiceNumberPadding } = deps;
  const links = customerLinks(deps);
  const numbering = { prefix: invoiceNumberPrefix, padding: invoiceNumberPadding ?? DEFAULT_INVOICE_NUMBER_FORMAT.padding };


  const findInstalmentInvoice = (planId: string, number: number) =>
    orm.em.fork().findOne(Invoice, { instalmentPlanId: planId, instalmentNumber: number });

  return {
    /**
     * Writes the workflow's state to the plan and the instalment rows that changed. The workflow is
     * the only writer; rows are matched by (plan, number), which never changes.
     */
    async recordInstalmentPlanState(record: InstalmentPlanStateRecord): Promise<void> {
      await orm.em.fork().transactional(async (em) => {
        const plan = await em.findOne(InstalmentPlan, { id: record.planId });
        if (!plan) throw recordNotFound('instalment plan', record.planId);
        const { balances } = record;
        Object.assign(plan, {
          status: record.status,
          total: balances.total,
          interestTotal: record.interestTotal,
          paidAmount: balances.paidAmount,
          paymentCount: balances.paymentCount,
          remainingBalance: balances.remainingBalance,
          remainingPrincipal: balances.remainingPrincipal,
          nextPaymentDate: toDate(balances.nextPaymentDate),
          cancellationReason: record.cancellationReason,
          canceledAt: toDate(record.canceledAt),
          completedAt: toDate(record.completedAt),
          updatedAt: new Date(),
        });
        const numbers = record.instalments.map((i) => i.number);
        const rows = new Map((await em.find(Instalment, { planId: plan.id, number: { $in: numbers } })).map((row) => [row.number, row]));
        for (const i of record.instalments) {
          const fields = instalmentRowFields(i);
          const row = rows.get(i.number);
          if (row) Object.assign(row, fields);
          else em.create(Instalment, { id: newId('instalment'), planId: plan.id, number: i.number, remindedAt: null, ...fields });
        }
      });
    },

    /**
     * Creates (once) the open invoice for one instalment, numbered in the same transaction, due by
     * the plan's payment terms from the moment it is issued. Unique on (plan, instalment number): a
     * retried or replayed call returns the invoice that already exists.
     */
    async createInstalmentInvoice(input: CreateInstalmentInvoiceInput): Promise<InvoiceSummary> {
      const existing = await findInstalmentInvoice(input.planId, input.instalment.number);
      if (existing) return summariseInvoice(existing);
      const { instalment } = input;
      try {
        const invoice = await orm.em.fork().transactional(async (em) => {
          const plan = await em.findOne(InstalmentPlan, { id: input.planId });
          if (!plan) throw recordNotFound('instalment plan', input.planId);
          const label = `${KIND_LABELS[instalment.kind](instalment.number)}: ${plan.description}`;
          // A loan instalment shows its principal and interest as two lines; other plans have no interest.
          const parts =
            instalment.interest > 0
              ? [
                  { description: `${label} (principal)`, amount: instalment.principal },
                  { description: `${label} (interest)`, amount: instalment.interest },
                ]
              : [{ description: label, amount: instalment.amount }];
          const issuedAt = new Date(input.issuedAt);
          const created = await issueInvoice(
            em,
            numbering,
            {
              customerId: plan.customerId,
              subscriptionId: null,
              periodIndex: null,
              periodStart: null,
              periodEnd: null,
              currency: plan.currency,
              collectionMethod: plan.collectionMethod,
              paymentTerms: plan.paymentTerms,
              dueDate: computeDueDate(plan.paymentTerms, issuedAt, plan.timeZone, new Date(instalment.dueDate)),
              finalizedAt: issuedAt,
              instalmentPlanId: plan.id,
              instalmentNumber: instalment.number,
            },
            priceInvoice({
              currency: plan.currency,
              lines: parts.map((part) => ({ description: part.description, priceId: null, unitAmount: part.amount, quantity: 1 })),
            }),
          );
          return created;
        });
        return summariseInvoice(invoice);
      } catch (err) {
        // Another attempt of this activity won the race; its invoice is the one.
        if (err instanceof UniqueConstraintViolationException) {
          const winner = await findInstalmentInvoice(input.planId, input.instalment.number);
          if (winner) return summariseInvoice(winner);
        }
        throw err;
      }
    },

    /**
     * The reminder before an instalment falls due: to the account manager (the plan's, or the
     * customer's account owner) and, when the plan says so, to the customer. Once per instalment and
     * due date: a rescheduled instalment is reminded again. Returns the outbox ids.
     */
    async sendInstalmentReminder({
      planId,
      number,
      dueDate,
      amount,
      remindedAt,
    }: {
      planId: string;
      number: number;
      dueDate: string;
      amount: number;
      /** Workflow time, so the record says when the plan reminded, whatever the activity's clock. */
      remindedAt: string;
    }): Promise<string[]> {
      const em = orm.em.fork();
      const plan = await em.findOne(InstalmentPlan, { id: planId });
      if (!plan) throw recordNotFound('instalment plan', planId);
      const customer = await em.findOneOrFail(Customer, { id: plan.customerId });
      const brand = brandEmailView(await loadBrand(em));
      // The instalment's invoice page once it is issued (pay it there), the portal before that.
      const instalment = await em.findOne(Instalment, { planId, number });
      const invoice = instalment?.invoiceId ? await em.findOne(Invoice, { id: instalment.invoiceId }) : null;
      const invoiceIssued = invoice !== null && invoice.status !== 'draft';
      const view = {
        invoiceIssued,
        actionUrl: invoiceIssued ? links.invoiceUrl(invoice.id) : links.portalUrl,
        brand,
        customerName: customer.name,
        customerEmail: customer.email,
        planDescription: plan.description,
        instalmentNumber: number,
        amount: formatMoney({ amount, currency: plan.currency }),
        dueDate: DateTime.fromISO(dueDate, { zone: plan.timeZone }).toFormat('d LLL yyyy'),
        charged: plan.collectionMethod === 'charge_automatically',
      };
      const sent: string[] = [];
      const send = async (kind: 'instalment_reminder' | 'instalment_reminder_owner', to: string) => {
        const email = await queueAndDeliver(orm, mailer, emailFrom, {
          ...renderEmail(kind, view),
          key: `${kind}:${plan.id}:${number}:${dueDate}`,
          kind,
          to,
          customerId: customer.id,
          relatedId: plan.id,
        });
        sent.push(email.id);
      };
      const manager = plan.accountManagerEmail ?? customer.accountOwnerEmail;
      if (manager) await send('instalment_reminder_owner', manager);
      if (plan.remindCustomer) await send('instalment_reminder', customer.email);
      await em.nativeUpdate(Instalment, { planId, number }, { remindedAt: new Date(remindedAt) });
      return sent;
    },
  };
}
