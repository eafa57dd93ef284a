/** The receipt PDF for one succeeded payment: who paid what, when, how, and what is left on the invoice. */
import type { Brand } from './brand';
import type { ReceiptDocumentData } from './data';
import {
  CONTENT_WIDTH,
  FONT,
  INK,
  PAGE,
  createDocument,
  drawAddressBlock,
  drawFooters,
  drawHeader,
  drawKeyValues,
  drawPill,
  drawTable,
  finish,
  formatDate,
  formatPeriod,
  pdfMoney,
  pdfText,
  senderLines,
  type RenderOptions,
} from './layout';

const OFFLINE_METHODS: Record<string, string> = {
  check: 'Check',
  bank_transfer: 'Bank transfer',
  cash: 'Cash',
  other: 'Other',
};

/** `pm_card_visa` → "Card (visa)", `bank_transfer` → "Bank transfer"; gateway ids stay as they are. */
export function paymentMethodText(method: string): string {
  if (OFFLINE_METHODS[method]) return OFFLINE_METHODS[method];
  const card = /^pm_card_([a-z0-9_]+)$/i.exec(method);
  if (card) return `Card (${card[1]!.replace(/_/g, ' ')})`;
  return method;
}

export function receiptFileName(data: ReceiptDocumentData): string {
  return `receipt-${data.paymentId.replace(/[^A-Za-z0-9._-]+/g, '_')}.pdf`;
}

export async function renderReceiptPdf(data: ReceiptDocumentData, brand: Brand, options: RenderOptions = {}): Promise<Buffer> {
  const invoiceRef = data.invoice.number ? `invoice ${data.invoice.number}` : 'your invoice';
  const doc = createDocument(
    { title: `Receipt for ${invoiceRef}`, author: brand.legalName, subject: `Payment ${data.paymentId}`, createdAt: data.paidAt },
    options,
  );
  const money = (amount: number) => pdfMoney(amount, data.currency);
  const tz = data.timeZone;

  // The payment id is the receipt number; too long for the facts column, it sits under the title.
  let y = drawHeader(doc, brand, 'Receipt', data.paymentId);
  const columnWidth = CONTENT_WIDTH / 2 - 12;
  const metaX = PAGE.margin + CONTENT_WIDTH / 2 + 12;
  const fromBottom = drawAddressBlock(doc, 'From', brand.legalName, senderLines(brand), PAGE.margin, y, columnWidth);
  const receivedFrom = [...(data.customer.email ? [data.customer.email] : []), ...data.customer.addressLines];
  const partiesBottom = drawAddressBlock(doc, 'Received from', data.customer.name, receivedFrom, PAGE.margin, fromBottom + 14, columnWidth);

  drawPill(doc, 'PAID', PAGE.width - PAGE.margin, y, '#15803D');
  const facts: [string, string][] = [
    ['Date paid', formatDate(data.paidAt, tz)],
    ['Payment method', paymentMethodText(data.paymentMethod)],
    ...(data.reference ? ([['Reference', data.reference]] as [string, string][]) : []),
    ...(data.invoice.number ? ([['Invoice', data.invoice.number]] as [string, string][]) : []),
  ];
  const factsBottom = drawKeyValues(doc, facts, metaX, y + 24, columnWidth, 90);
  const boxY = factsBottom + 8;
  doc.roundedRect(metaX, boxY, columnWidth, 46, 4).fill(brand.color);
  doc.font(FONT.regular).fontSize(8.5).fillColor(brand.onColor).text('AMOUNT PAID', metaX + 12, boxY + 9, { width: columnWidth - 24, characterSpacing: 0.8 });
  doc.font(FONT.bold).fontSize(17).fillColor(brand.onColor).text(money(data.amount), metaX + 12, boxY + 21, { width: columnWidth - 24, lineBreak: false });

  y = Math.max(partiesBottom, boxY + 46) + 26;
  const period = formatPeriod(data.invoice.periodStart, data.invoice.periodEnd, tz);
  y = drawTable(
    doc,
    brand,
    [
      { header: 'Description', width: CONTENT_WIDTH - 120 },
      { header: 'Amount', width: 120, align: 'right' },
    ],
    [{ cells: [`Payment for ${invoiceRef}`, money(data.amount)], detail: period ? `Billing period ${period}` : null }],
    y,
    `Receipt ${data.paymentId} (continued)`,
  );

  const summary: [string, string][] = [
    ['Invoice total', money(data.invoice.total)],
    ['Paid to date', money(data.invoice.amountPaid)],
    ['Balance remaining', money(data.invoice.amountDue)],
  ];
  // Inset by the table's cell padding, so the figures line up under the amount column.
  y = drawKeyValues(doc, summary, PAGE.width - PAGE.margin - 258, y + 14, 250, 140);
  doc
    .font(FONT.regular)
    .fontSize(9.5)
    .fillColor(INK.text)
    .text(pdfText(`Thank you for your payment. Keep this receipt for your records.`), PAGE.margin, y + 18, { width: CONTENT_WIDTH });

  drawFooters(doc, brand);
  return finish(doc);
}
