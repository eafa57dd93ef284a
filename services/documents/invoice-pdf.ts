/** The invoice PDF: branded header, parties, lines, totals with discounts, fees and taxes, notes. */
import type { Brand } from './brand';
import type { InvoiceDocumentData } from './data';
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
  drawWatermark,
  ensureSpace,
  finish,
  formatDate,
  formatPeriod,
  pdfMoney,
  pdfText,
  senderLines,
  type RenderOptions,
} from './layout';

const STATUS_COLORS: Record<string, string> = {
  draft: '#6B7280',
  open: '#2563EB',
  paid: '#15803D',
  void: '#B91C1C',
  uncollectible: '#B45309',
};

/** Statuses stamped across the page: the document is not (or no longer) a demand for payment. */
const WATERMARKS: Record<string, string> = { draft: 'DRAFT', void: 'VOID', uncollectible: 'UNCOLLECTIBLE' };

export function invoiceTitle(data: InvoiceDocumentData): string {
  return data.number ? `Invoice ${data.number}` : 'Draft invoice';
}

/** File name for downloads: the invoice number, or "draft" with the id for an unnumbered draft. */
export function invoiceFileName(data: InvoiceDocumentData, invoiceId: string): string {
  const base = data.number ?? `draft-${invoiceId}`;
  return `invoice-${base.replace(/[^A-Za-z0-9._-]+/g, '_')}.pdf`;
}

export async function renderInvoicePdf(data: InvoiceDocumentData, profileBrand: Brand, options: RenderOptions = {}): Promise<Buffer> {
  const brand: Brand = data.footer ? { ...profileBrand, footer: data.footer } : profileBrand;
  const title = invoiceTitle(data);
  const doc = createDocument({ title, author: brand.legalName, subject: `${title} for ${data.customer.name}`, createdAt: data.issuedAt }, options);
  const money = (amount: number) => pdfMoney(amount, data.currency);
  const tz = data.timeZone;

  let y = drawHeader(doc, brand, 'Invoice', data.number ?? 'Draft');

  // Parties on the left, the invoice's facts on the right.
  const columnWidth = CONTENT_WIDTH / 2 - 12;
  const metaX = PAGE.margin + CONTENT_WIDTH / 2 + 12;
  const fromBottom = drawAddressBlock(doc, 'From', brand.legalName, senderLines(brand), PAGE.margin, y, columnWidth);
  const billTo = [
    ...(data.customer.email ? [data.customer.email] : []),
    ...data.customer.addressLines,
    ...(data.customer.taxId ? [`Tax ID: ${data.customer.taxId}`] : []),
  ];
  const billToBottom = drawAddressBlock(doc, 'Bill to', data.customer.name, billTo, PAGE.margin, fromBottom + 14, columnWidth);

  drawPill(doc, data.status.toUpperCase(), PAGE.width - PAGE.margin, y, STATUS_COLORS[data.status] ?? INK.muted);
  const period = formatPeriod(data.periodStart, data.periodEnd, tz);
  const facts: [string, string][] = [
    ['Invoice number', data.number ?? 'Assigned when issued'],
    ['Issue date', formatDate(data.issuedAt, tz)],
    ...(data.dueDate ? ([['Due date', formatDate(data.dueDate, tz)]] as [string, string][]) : []),
    ...(data.paymentTerms ? ([['Payment terms', data.paymentTerms]] as [string, string][]) : []),
    ...(period ? ([['Billing period', period]] as [string, string][]) : []),
    ...(data.paidAt ? ([['Paid on', formatDate(data.paidAt, tz)]] as [string, string][]) : []),
  ];
  const factsBottom = drawKeyValues(doc, facts, metaX, y + 24, columnWidth, 90);

  // The amount due (or, once paid, what was paid), large, where the eye lands first.
  const paid = data.status === 'paid';
  const panel = paid
    ? { label: 'AMOUNT PAID', amount: data.amountPaid, when: data.paidAt ? `on ${formatDate(data.paidAt, tz)}` : null }
    : { label: 'AMOUNT DUE', amount: data.amountDue, when: data.dueDate && data.amountDue > 0 ? `by ${formatDate(data.dueDate, tz)}` : null };
  const dueBoxY = factsBottom + 8;
  doc.roundedRect(metaX, dueBoxY, columnWidth, 46, 4).fill(brand.color);
  doc.font(FONT.regular).fontSize(8.5).fillColor(brand.onColor).text(panel.label, metaX + 12, dueBoxY + 9, { width: columnWidth - 24, characterSpacing: 0.8 });
  doc.font(FONT.bold).fontSize(17).fillColor(brand.onColor).text(money(panel.amount), metaX + 12, dueBoxY + 21, { width: columnWidth - 24, lineBreak: false });
  if (panel.when) {
    doc.font(FONT.regular).fontSize(8.5).fillColor(brand.onColor).text(panel.when, metaX + 12, dueBoxY + 9, { width: columnWidth - 24, align: 'right' });
  }

  y = Math.max(billToBottom, dueBoxY + 46) + 26;

  // Lines.
  const continuation = `${title} (continued)`;
  const amountWidth = 96;
  const unitWidth = 96;
  const qtyWidth = 48;
  const rows = data.lines.map((line) => ({
    cells: [line.description, String(line.quantity), money(line.unitAmount), money(line.amount)],
    detail: formatPeriod(line.periodStart, line.periodEnd, tz),
  }));
  y = drawTable(
    doc,
    brand,
    [
      { header: 'Description', width: CONTENT_WIDTH - qtyWidth - unitWidth - amountWidth },
      { header: 'Qty', width: qtyWidth, align: 'right' },
      { header: 'Unit price', width: unitWidth, align: 'right' },
      { header: 'Amount', width: amountWidth, align: 'right' },
    ],
    rows.length ? rows : [{ cells: ['No line items', '', '', ''] }],
    y,
    continuation,
  );

  // Totals, right-aligned under the amount column.
  const totals: { label: string; value: string; strong?: boolean }[] = [{ label: 'Subtotal', value: money(data.subtotal) }];
  for (const a of data.adjustments.filter((x) => x.kind === 'discount')) totals.push({ label: a.label, value: `-${money(a.amount)}` });
  for (const a of data.adjustments.filter((x) => x.kind === 'fee')) totals.push({ label: a.label, value: money(a.amount) });
  const taxes = data.adjustments.filter((x) => x.kind === 'tax');
  for (const a of taxes) totals.push({ label: a.label, value: money(a.amount) });
  if (taxes.length === 0 && data.tax !== 0) totals.push({ label: 'Tax', value: money(data.tax) });
  totals.push({ label: 'Total', value: money(data.total), strong: true });
  if (data.amountPaid !== 0) totals.push({ label: 'Amount paid', value: `-${money(data.amountPaid)}` });
  if (data.amountRefunded !== 0) totals.push({ label: 'Refunded', value: money(data.amountRefunded) });
  totals.push({ label: 'Amount due', value: money(data.amountDue), strong: true });

  const totalsWidth = 250;
  const totalsX = PAGE.width - PAGE.margin - totalsWidth;
  y = ensureSpace(doc, brand, y + 12, totals.length * 20 + 10, continuation);
  for (const row of totals) {
    if (row.strong) {
      doc.moveTo(totalsX, y - 3).lineTo(PAGE.width - PAGE.margin, y - 3).lineWidth(0.75).strokeColor(brand.color).stroke();
    }
    doc.font(row.strong ? FONT.bold : FONT.regular).fontSize(row.strong ? 10.5 : 9.5);
    doc.fillColor(row.strong ? INK.text : INK.muted).text(pdfText(row.label), totalsX + 8, y + 2, { width: totalsWidth - amountWidth - 8 });
    const labelBottom = doc.y;
    doc.fillColor(INK.text).text(row.value, totalsX + totalsWidth - amountWidth, y + 2, { width: amountWidth - 8, align: 'right' });
    y = Math.max(labelBottom, doc.y) + 6;
  }

  // Notes: the personal message, then how to pay.
  const notes: [string, string][] = [];
  if (data.memo) notes.push(['Notes', data.memo]);
  // How to pay, only while something is owed: a paid or void invoice asks for nothing.
  if (data.amountDue > 0 && (data.paymentTerms || data.dueDate)) {
    const terms = [data.paymentTerms, data.dueDate ? `Please pay ${money(data.amountDue)} by ${formatDate(data.dueDate, tz)}` : null]
      .filter(Boolean)
      .join('. ');
    notes.push(['Payment terms', data.number ? `${terms}, quoting ${data.number}.` : `${terms}.`]);
  }
  y += 16;
  for (const [label, text] of notes) {
    doc.font(FONT.regular).fontSize(9.5);
    const height = doc.heightOfString(pdfText(text), { width: CONTENT_WIDTH }) + 20;
    y = ensureSpace(doc, brand, y, height, continuation);
    doc.font(FONT.bold).fontSize(8).fillColor(brand.color).text(label.toUpperCase(), PAGE.margin, y, { characterSpacing: 0.8 });
    doc.font(FONT.regular).fontSize(9.5).fillColor(INK.text).text(pdfText(text), PAGE.margin, y + 13, { width: CONTENT_WIDTH });
    y = doc.y + 14;
  }

  const watermark = WATERMARKS[data.status];
  if (watermark) drawWatermark(doc, watermark, STATUS_COLORS[data.status] ?? INK.muted);
  drawFooters(doc, brand);
  return finish(doc);
}
