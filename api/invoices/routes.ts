/**
 * `/v1/invoices`: one-off drafts (create, preview, update, delete), listing and retrieval, and finalize
 * (numbering, due date and collection through services/invoices/). Shapes are in ./schemas.ts, answers
 * in ./serialization.ts, and turning a draft request into priced lines in services/invoices/draft-pricing.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Customer, Invoice, InvoiceLine } from '../../db/entities';
import { newId } from '../../db/ids';
import { formatPercentage } from '../../domain/pricing';
import { defaultPaymentTerms } from '../../domain/payment-terms';
import { assertInvoiceTransition } from '../../domain/invoice-status';
import type { InvoiceNumberFormat } from '../../services/invoices/invoice-numbering';
import { finalizeDraftInvoice } from '../../services/invoices/finalize-invoice';
import { invoiceCollectionWorkflowId } from '../../workflows/invoice-collection/contract';
import { startInvoiceCollection } from '../../services/invoices/start-invoice-collection';
import { applyTotals, createLines } from '../../services/invoices/invoice-records';
import { ErrorSchema, conflict, notFound, unprocessable } from '../errors';
import { IdParams, definedOnly, listOf, paginate } from '../schemas';
import { workflowCallError } from '../workflow-errors';
import { priceDraft, priceNewDraft, instant, resolveCurrency, resolveTerms, type DraftInput } from '../../services/invoices/draft-pricing';
import {
  CreateInvoice,
  DeletedInvoice,
  InvoicePreview,
  InvoiceResource,
  InvoiceSummaryResource,
  ListInvoicesQuery,
  UpdateInvoice,
  type CollectionMethod,
} from './schemas';
import { invoicePreview, invoiceSummary, invoiceWithLines } from './serialization';
import { ADMIN_AND_SALES, STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

const notDraft = (invoice: Invoice) => conflict('invoice_not_draft', `Invoice ${invoice.id} is ${invoice.status}; only a draft can be changed or deleted.`);

// ---- routes -------------------------------------------------------------------------------------

export type InvoiceRoutesOptions = RouteDeps & {
  /** Numbers given at finalize; the worker numbers subscription invoices with the same format. */
  invoiceNumbering: InvoiceNumberFormat;
};

export const invoicesRoutes: FastifyPluginAsyncTypebox<InvoiceRoutesOptions> = async (app, { orm, temporal, taskQueue, invoiceNumbering, invoiceLinks }) => {
  const read = { roles: STAFF };
  // Sales bill clients ("bill the client now"); operators finalize drafts others prepared.
  const write = { roles: ADMIN_AND_SALES };
  const finalize = { roles: STAFF };

  /** Runs `work` on the invoice row locked FOR UPDATE, so draft edits, deletion and finalize never interleave. */
  async function withLockedInvoice<R>(id: string, work: (em: EntityManager, invoice: Invoice) => Promise<R>): Promise<R> {
    return orm.em.fork().transactional(async (em) => {
      const invoice = await em.findOne(Invoice, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!invoice) throw notFound('invoice', id);
      return work(em, invoice);
    });
  }

  app.post(
    '/invoices',
    {
      config: write,
      schema: {
        tags: ['invoices'],
        summary: 'Create a draft one-off invoice',
        description:
          'Lines from prices or free text, discounts, fees and tax rates; totals are computed in exact minor units. ' +
          'The draft has no number and no due date until it is finalized.',
        body: CreateInvoice,
        response: { 200: InvoiceResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const body = request.body;
      const em = orm.em.fork();
      const { customer, currency, collectionMethod, now, terms, priced } = await priceNewDraft(em, body);

      const id = newId('invoice');
      await em.transactional(async (tx) => {
        const invoice = tx.create(Invoice, {
          id,
          number: null,
          customerId: customer.id,
          subscriptionId: null,
          periodIndex: null,
          periodStart: null,
          periodEnd: null,
          status: 'draft',
          currency,
          subtotal: 0,
          tax: 0,
          total: 0,
          amountPaid: 0,
          amountDue: 0,
          collectionMethod,
          paymentTerms: terms.paymentTerms,
          dueDate: terms.dueDate,
          memo: body.memo ?? null,
          footer: body.footer ?? null,
          paidAt: null,
          nextPaymentAttempt: null,
          pastDueAt: null,
          createdAt: now,
          updatedAt: now,
        });
        applyTotals(invoice, priced);
        // Foreign keys are plain columns here, so the invoice row must exist before its lines.
        await tx.flush();
        createLines(tx, id, priced);
      });
      const created = await orm.em.fork().findOneOrFail(Invoice, { id });
      return invoiceWithLines(orm.em.fork(), created, invoiceLinks);
    },
  );

  app.post(
    '/invoices/preview',
    {
      config: read,
      schema: {
        tags: ['invoices'],
        summary: 'Compute an invoice without saving it',
        description: 'Same body as creating one; answers the totals and the due date it would have if finalized now.',
        body: CreateInvoice,
        response: { 200: InvoicePreview, '4xx': ErrorSchema },
      },
    },
    async (request) => invoicePreview(await priceNewDraft(orm.em.fork(), request.body), request.body.memo),
  );

  app.get(
    '/invoices',
    {
      config: read,
      schema: {
        tags: ['invoices'],
        summary: 'List invoices, newest first (lines omitted; retrieve one for its lines)',
        description:
          'Filters combine: status, customer, subscription, due_date[gte]/[lte] and created[gte]/[lte] (ISO instants), ' +
          'overdue=true for open invoices past their due date.',
        querystring: ListInvoicesQuery,
        response: { 200: listOf(InvoiceSummaryResource, 'Invoice'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const range = (field: 'due_date' | 'created') => {
        const [gte, lte] = [q[`${field}[gte]`], q[`${field}[lte]`]];
        if (gte === undefined && lte === undefined) return undefined;
        return definedOnly({ $gte: gte && instant(`${field}[gte]`, gte), $lte: lte && instant(`${field}[lte]`, lte) });
      };
      const now = new Date();
      const filters: FilterQuery<Invoice>[] = [
        definedOnly({
          status: q.status,
          customerId: q.customer,
          subscriptionId: q.subscription,
          dueDate: range('due_date'),
          createdAt: range('created'),
        }) as FilterQuery<Invoice>,
      ];
      if (q.overdue === true) filters.push({ status: 'open', dueDate: { $lt: now } });
      if (q.overdue === false) filters.push({ $or: [{ status: { $ne: 'open' } }, { dueDate: { $gte: now } }] });
      return paginate(orm.em.fork(), Invoice, { $and: filters }, q, (invoice) => invoiceSummary(invoice, invoiceLinks));
    },
  );

  app.get(
    '/invoices/:id',
    {
      config: read,
      schema: { tags: ['invoices'], summary: 'Retrieve an invoice with its lines', params: IdParams, response: { 200: InvoiceResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const em = orm.em.fork();
      const invoice = await em.findOne(Invoice, { id: request.params.id });
      if (!invoice) throw notFound('invoice', request.params.id);
      return invoiceWithLines(em, invoice, invoiceLinks);
    },
  );

  app.post(
    '/invoices/:id',
    {
      config: write,
      schema: {
        tags: ['invoices'],
        summary: 'Update a draft invoice',
        description: 'Only drafts change (409 invoice_not_draft otherwise). Lines, discounts, fees and tax_rates given replace the whole list.',
        params: IdParams,
        body: UpdateInvoice,
        response: { 200: InvoiceResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const body = request.body as UpdateInvoice;
      const id = request.params.id;
      await withLockedInvoice(id, async (em, invoice) => {
        if (invoice.status !== 'draft') throw notDraft(invoice);
        const customer = await em.findOneOrFail(Customer, { id: invoice.customerId });
        const currency = body.currency === undefined ? invoice.currency : resolveCurrency(customer, body.currency);
        const collectionMethod = body.collection_method ?? (invoice.collectionMethod as CollectionMethod);
        const now = new Date();

        if (body.payment_terms !== undefined || body.due_date !== undefined) {
          const terms = resolveTerms(body.payment_terms, body.due_date, collectionMethod, now);
          invoice.paymentTerms = terms.paymentTerms;
          invoice.dueDate = terms.dueDate;
        }

        // Kept lines keep the unit amount they were added with, even if their price changed since.
        const keptLines =
          body.lines === undefined
            ? (await em.find(InvoiceLine, { invoiceId: id }, { orderBy: { position: 'asc' } })).map((l) => ({
                description: l.description,
                priceId: l.priceId,
                unitAmount: l.unitAmount,
                quantity: l.quantity,
              }))
            : undefined;
        const input: DraftInput = {
          lines: body.lines ?? [],
          discounts:
            body.discounts ??
            (invoice.discounts ?? []).map((d) => ({
              ...(d.description === null ? {} : { description: d.description }),
              ...(d.ratePpm === null ? { amount_off: d.amountOff ?? 0 } : { percent_off: formatPercentage(d.ratePpm) }),
            })),
          fees:
            body.fees ??
            (invoice.fees ?? []).map((f) => ({
              description: f.description,
              taxable: f.taxable,
              ...(f.ratePpm === null ? { amount: f.amount } : { percentage: formatPercentage(f.ratePpm) }),
            })),
          tax_rates:
            body.tax_rates ??
            (invoice.taxAmounts ?? []).map((t) => ({ display_name: t.displayName, percentage: formatPercentage(t.ratePpm), inclusive: t.inclusive })),
        };
        const priced = await priceDraft(em, input, currency, keptLines);

        invoice.currency = currency;
        invoice.collectionMethod = collectionMethod;
        if (body.memo !== undefined) invoice.memo = body.memo;
        if (body.footer !== undefined) invoice.footer = body.footer;
        applyTotals(invoice, priced);
        invoice.updatedAt = now;
        await em.nativeDelete(InvoiceLine, { invoiceId: id });
        createLines(em, id, priced);
        await em.flush();
      });
      const em = orm.em.fork();
      return invoiceWithLines(em, await em.findOneOrFail(Invoice, { id }), invoiceLinks);
    },
  );

  app.delete(
    '/invoices/:id',
    {
      config: write,
      schema: {
        tags: ['invoices'],
        summary: 'Delete a draft invoice',
        description: 'Only drafts can be deleted (409 invoice_not_draft otherwise); a finalized invoice is voided instead.',
        params: IdParams,
        response: { 200: DeletedInvoice, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const id = request.params.id;
      await withLockedInvoice(id, async (em, invoice) => {
        if (invoice.status !== 'draft') throw notDraft(invoice);
        await em.nativeDelete(InvoiceLine, { invoiceId: id });
        await em.nativeDelete(Invoice, { id });
      });
      return { id, object: 'invoice' as const, deleted: true as const };
    },
  );

  app.post(
    '/invoices/:id/finalize',
    {
      config: finalize,
      schema: {
        tags: ['invoices'],
        summary: 'Finalize a draft: number it, set its due date and start collecting it',
        description:
          'draft → open. The number comes from the gapless sequence in the same transaction, the due date from the payment ' +
          'terms in the customer time zone. A zero-total invoice is paid at once. Collection (charge or email, then dunning) ' +
          'runs in the workflow `invoice-<id>`. Finalizing an open invoice is refused (409) unless its collection has not started ' +
          '(an earlier finalize committed but could not start it): that call starts it and answers 200 with the same number.',
        params: IdParams,
        response: { 200: InvoiceResource, '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const id = request.params.id;
      const invoice = await withLockedInvoice(id, async (em, invoice) => {
        if (invoice.status === 'open' && invoice.subscriptionId === null && !(await collectionStarted(id))) {
          // An earlier finalize committed but could not start collection (Temporal unavailable): finish it now.
          return invoice;
        }
        assertInvoiceTransition(invoice.status, 'open', invoice.id);
        const customer = await em.findOneOrFail(Customer, { id: invoice.customerId });
        const now = new Date();
        if (invoice.collectionMethod === 'charge_automatically' && invoice.total > 0 && !customer.defaultPaymentMethod) {
          throw unprocessable(
            'collection_method',
            'no_payment_method',
            `Customer ${customer.id} has no default_payment_method to charge; set one or use collection_method=send_invoice.`,
          );
        }
        const terms = invoice.paymentTerms ?? defaultPaymentTerms(invoice.collectionMethod as CollectionMethod);
        if (terms === 'custom' && invoice.dueDate && invoice.dueDate.getTime() <= now.getTime()) {
          throw unprocessable('due_date', 'due_date_in_past', `The invoice's due date ${invoice.dueDate.toISOString()} has passed; update it before finalizing.`);
        }
        // A zero total comes back paid: nothing to collect, so no collection workflow below.
        await finalizeDraftInvoice(em, invoice, invoiceNumbering, { paymentTerms: terms, timeZone: customer.timeZone, now });
        await em.flush();
        return invoice;
      });

      if (invoice.status === 'open') {
        try {
          await startInvoiceCollection(temporal, taskQueue, {
            invoiceId: invoice.id,
            customerId: invoice.customerId,
            collectionMethod: invoice.collectionMethod as CollectionMethod,
            ownerWorkflowId: null,
          });
        } catch (err) {
          // The invoice stays open and numbered; finalizing again starts the collection.
          throw workflowCallError(err, `Invoice ${id} is finalized but its collection could not start; retry the finalize`);
        }
      }
      const em = orm.em.fork();
      return invoiceWithLines(em, await em.findOneOrFail(Invoice, { id }), invoiceLinks);
    },
  );

  async function collectionStarted(invoiceId: string): Promise<boolean> {
    try {
      await temporal.workflow.getHandle(invoiceCollectionWorkflowId(invoiceId)).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw workflowCallError(err, `Cannot check the collection of invoice ${invoiceId}`);
    }
  }
};
