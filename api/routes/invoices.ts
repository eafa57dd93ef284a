import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Invoice, InvoiceLine } from '../../db/entities';
import { ErrorSchema, notFound } from '../errors';
import { IdParams, ListQuery, Nullable, Timestamp, definedOnly, iso, listOf, paginate } from '../schemas';

const InvoiceStatus = Type.Enum(['draft', 'open', 'paid', 'void', 'uncollectible']);

const InvoiceLineResource = Type.Object({
  id: Type.String(),
  description: Type.String(),
  price: Nullable(Type.String()),
  quantity: Type.Integer(),
  unit_amount: Type.Integer(),
  amount: Type.Integer(),
  period: Nullable(Type.Object({ start: Timestamp, end: Timestamp })),
});

const InvoiceFields = {
  id: Type.String(),
  object: Type.Literal('invoice'),
  number: Type.String(),
  customer: Type.String(),
  subscription: Nullable(Type.String()),
  status: InvoiceStatus,
  currency: Type.String(),
  subtotal: Type.Integer(),
  tax: Type.Integer(),
  total: Type.Integer(),
  amount_paid: Type.Integer(),
  amount_due: Type.Integer(),
  collection_method: Type.String(),
  period: Nullable(Type.Object({ index: Type.Integer(), start: Timestamp, end: Timestamp })),
  due_date: Timestamp,
  paid_at: Nullable(Timestamp),
  created_at: Timestamp,
};

export const InvoiceSummaryResource = Type.Object(InvoiceFields, { $id: 'InvoiceSummary' });
export const InvoiceResource = Type.Object({ ...InvoiceFields, lines: Type.Array(InvoiceLineResource) }, { $id: 'Invoice' });

export function invoiceSummary(i: Invoice) {
  return {
    id: i.id,
    object: 'invoice' as const,
    number: i.number,
    customer: i.customerId,
    subscription: i.subscriptionId,
    status: i.status,
    currency: i.currency.toLowerCase(),
    subtotal: i.subtotal,
    tax: i.tax,
    total: i.total,
    amount_paid: i.amountPaid,
    amount_due: i.amountDue,
    collection_method: i.collectionMethod,
    period:
      i.periodIndex !== null && i.periodStart && i.periodEnd ? { index: i.periodIndex, start: iso(i.periodStart)!, end: iso(i.periodEnd)! } : null,
    due_date: iso(i.dueDate)!,
    paid_at: iso(i.paidAt),
    created_at: iso(i.createdAt)!,
  };
}

const lineResource = (l: InvoiceLine) => ({
  id: l.id,
  description: l.description,
  price: l.priceId,
  quantity: l.quantity,
  unit_amount: l.unitAmount,
  amount: l.amount,
  period: l.periodStart && l.periodEnd ? { start: iso(l.periodStart)!, end: iso(l.periodEnd)! } : null,
});

export const invoicesRoutes: FastifyPluginAsyncTypebox<{ orm: MikroORM }> = async (app, { orm }) => {
  const read = { roles: ['admin', 'operator', 'sales'] as const };

  app.get(
    '/v1/invoices',
    {
      config: read,
      schema: {
        tags: ['invoices'],
        summary: 'List invoices, newest first (lines omitted; retrieve one for its lines)',
        querystring: Type.Object(
          {
            ...ListQuery,
            status: Type.Optional(InvoiceStatus),
            customer: Type.Optional(Type.String({ maxLength: 64 })),
            subscription: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: listOf(InvoiceSummaryResource, 'Invoice'), '4xx': ErrorSchema },
      },
    },
    async (request) => {
      const { status, customer, subscription } = request.query;
      return paginate(
        orm.em.fork(),
        Invoice,
        definedOnly({ status, customerId: customer, subscriptionId: subscription }),
        request.query,
        invoiceSummary,
      );
    },
  );

  app.get(
    '/v1/invoices/:id',
    {
      config: read,
      schema: { tags: ['invoices'], summary: 'Retrieve an invoice with its lines', params: IdParams, response: { 200: InvoiceResource, '4xx': ErrorSchema } },
    },
    async (request) => {
      const em = orm.em.fork();
      const invoice = await em.findOne(Invoice, { id: request.params.id });
      if (!invoice) throw notFound('invoice', request.params.id);
      const lines = await em.find(InvoiceLine, { invoiceId: invoice.id }, { orderBy: { position: 'asc' } });
      return { ...invoiceSummary(invoice), lines: lines.map(lineResource) };
    },
  );
};
