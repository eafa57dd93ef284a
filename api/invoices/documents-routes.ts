import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { loadBrand } from '../../services/documents/brand';
import { loadInvoiceDocumentData, loadReceiptDocumentData } from '../../services/documents/data';
import { invoiceFileName, renderInvoicePdf } from '../../services/documents/invoice-pdf';
import { receiptFileName, renderReceiptPdf } from '../../services/documents/receipt-pdf';
import { ErrorSchema, conflict, notFound } from '../errors';
import { IdParams } from '../schemas';
import { STAFF } from '../roles';
import type { RouteDeps } from '../route-deps';

/**
 * A binary response in the OpenAPI document: `application/pdf` bytes (schemathesis then checks the
 * content type), with the file name in Content-Disposition.
 */
const pdfResponse = (description: string) => ({
  description,
  headers: { 'content-disposition': { type: 'string', description: 'inline; filename="<document>.pdf"' } },
  content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
});

function sendPdf(reply: FastifyReply, pdf: Buffer, fileName: string): FastifyReply {
  return (
    reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `inline; filename="${fileName}"`)
      // The document changes with the invoice (payments, status): never serve a stale copy.
      .header('cache-control', 'private, no-cache')
      .send(pdf)
  );
}

/** PDFs of invoices and payment receipts, rendered on request from the records and the company profile. */
export const invoiceDocumentsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { orm }) => {
  const read = { roles: STAFF };

  app.get(
    '/invoices/:id/pdf',
    {
      config: read,
      schema: {
        tags: ['invoices'],
        summary: 'Download an invoice as a branded PDF',
        description: 'Drafts render with a DRAFT watermark and no number; void and uncollectible invoices are stamped as such.',
        params: IdParams,
        response: { 200: pdfResponse('The invoice as a PDF'), '4xx': ErrorSchema },
      },
    },
    async (request, reply) => {
      const em = orm.em.fork();
      const data = await loadInvoiceDocumentData(em, request.params.id);
      if (!data) throw notFound('invoice', request.params.id);
      const pdf = await renderInvoicePdf(data, await loadBrand(em));
      return sendPdf(reply, pdf, invoiceFileName(data, request.params.id));
    },
  );

  app.get(
    '/payments/:id/receipt.pdf',
    {
      config: read,
      schema: {
        tags: ['payments'],
        summary: 'Download the receipt of a succeeded payment as a branded PDF',
        description: 'A 409 for a payment that is pending or failed: there is nothing to give a receipt for.',
        params: IdParams,
        response: { 200: pdfResponse('The receipt as a PDF'), '4xx': ErrorSchema },
      },
    },
    async (request, reply) => {
      const em = orm.em.fork();
      const lookup = await loadReceiptDocumentData(em, request.params.id);
      if (!lookup.found) throw notFound('payment', request.params.id);
      if (!lookup.data) {
        throw conflict('payment_not_succeeded', `Payment ${lookup.payment.id} is ${lookup.payment.status}; receipts exist only for succeeded payments.`);
      }
      const pdf = await renderReceiptPdf(lookup.data, await loadBrand(em));
      return sendPdf(reply, pdf, receiptFileName(lookup.data));
    },
  );
};
