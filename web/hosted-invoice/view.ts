/**
 * What the hosted invoice page shows, read once per request: the invoice as its PDF prints it
 * (services/documents/data.ts), whether it takes a card now, and whether it may offer autopay.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Invoice } from '../../db/entities';
import { loadBrand } from '../../services/documents/brand';
import { loadInvoiceDocumentData, type InvoiceDocumentData } from '../../services/documents/data';
import { formatters, resolveLocale } from '../i18n';
import type { PageDeps } from '../page-deps';
import { autopayCandidate } from './pay-invoice';

/** A hosted page's invoice: never a draft (not issued: its link is a 404 like any wrong link). */
export interface HostedInvoice {
  invoice: Invoice;
  document: InvoiceDocumentData;
  /** Open with something due: the page shows the card form. */
  payable: boolean;
  /** The consent text for switching its subscription to autopay; null when autopay is not on offer. */
  autopayConsent: string | null;
}

export async function loadHostedInvoice(deps: PageDeps, request: FastifyRequest, invoiceId: string): Promise<HostedInvoice | null> {
  const em = deps.orm.em.fork();
  const invoice = await em.findOne(Invoice, { id: invoiceId });
  if (!invoice || invoice.status === 'draft') return null;
  const document = await loadInvoiceDocumentData(em, invoice.id);
  if (!document) return null;
  const payable = invoice.status === 'open' && invoice.amountDue > 0;
  let autopayConsent: string | null = null;
  if (payable && (await autopayCandidate(deps, invoice))) {
    const { t } = formatters(resolveLocale(request.headers['accept-language']));
    // The exact words shown beside the checkbox are the words recorded with the consent.
    autopayConsent = t('invoice.autopayConsent', { company: (await loadBrand(em)).name });
  }
  return { invoice, document, payable, autopayConsent };
}

/** A new id for each rendered payment form: both posts of a double-submitted form carry the same one. */
export const newSubmissionId = (): string => randomBytes(16).toString('base64url');
export const SUBMISSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** The template's data for the invoice part of the page (everything but the form's state). */
export function invoiceLocals(hosted: HostedInvoice, path: string) {
  const { document, invoice } = hosted;
  return {
    title: document.number ?? invoice.id,
    invoiceNumber: document.number ?? invoice.id,
    doc: document,
    status: invoice.status,
    pdfUrl: `${path}/pdf`,
    payUrl: `${path}/pay`,
    payable: hosted.payable,
    autopayConsent: hosted.autopayConsent,
  };
}
