/**
 * The quote PDF: one version exactly as its signer sees it on the acceptance page
 * (services/quotes/quote-link-view.ts), in the invoice PDF's style: branded header, parties and the
 * quote's facts, lines, one-time totals with discounts, fees and taxes, recurring totals, the payment
 * schedule, terms and notes, and who has signed.
 */
import { describeInterval } from '../../domain/frequency';
import type { QuoteStage } from '../../domain/quote';
import type { QuoteVersionView } from '../quotes/quote-link-view';
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
  pdfMoney,
  pdfText,
  senderLines,
  type Pdf,
  type RenderOptions,
} from './layout';
import type { Brand } from './brand';

const STAGE_PILLS: Partial<Record<QuoteStage, { text: string; color: string }>> = {
  sent: { text: 'AWAITING SIGNATURE', color: '#2563EB' },
  signing: { text: 'SIGNING', color: '#2563EB' },
  accepted: { text: 'ACCEPTED', color: '#15803D' },
  awaiting_payment: { text: 'ACCEPTED', color: '#15803D' },
  fulfilled: { text: 'ACCEPTED', color: '#15803D' },
  declined: { text: 'DECLINED', color: '#B91C1C' },
  expired: { text: 'EXPIRED', color: '#B45309' },
  voided: { text: 'VOID', color: '#B91C1C' },
};

/** Stamped across the page: the quote can no longer be accepted. */
const WATERMARKS: Partial<Record<QuoteStage, string>> = { declined: 'DECLINED', expired: 'EXPIRED', voided: 'VOID' };

export const quoteTitle = (view: Pick<QuoteVersionView, 'quoteId' | 'content'>): string => `Quote ${view.quoteId} version ${view.content.version}`;

export const quoteFileName = (view: Pick<QuoteVersionView, 'quoteId' | 'content'>): string =>
  `quote-${view.quoteId.replace(/[^A-Za-z0-9._-]+/g, '_')}-v${view.content.version}.pdf`;

interface TotalRow {
  label: string;
  value: string;
  strong?: boolean;
}

/** Right-aligned label/amount rows under the amount column, a rule above the strong ones. */
function drawTotals(doc: Pdf, brand: Brand, rows: TotalRow[], y: number, continuation: string): number {
  const totalsWidth = 250;
  const amountWidth = 110;
  const totalsX = PAGE.width - PAGE.margin - totalsWidth;
  y = ensureSpace(doc, brand, y + 12, rows.length * 20 + 10, continuation);
  for (const row of rows) {
    if (row.strong) doc.moveTo(totalsX, y - 3).lineTo(PAGE.width - PAGE.margin, y - 3).lineWidth(0.75).strokeColor(brand.color).stroke();
    doc.font(row.strong ? FONT.bold : FONT.regular).fontSize(row.strong ? 10.5 : 9.5);
    doc.fillColor(row.strong ? INK.text : INK.muted).text(pdfText(row.label), totalsX + 8, y + 2, { width: totalsWidth - amountWidth - 8 });
    const labelBottom = doc.y;
    doc.fillColor(INK.text).text(row.value, totalsX + totalsWidth - amountWidth, y + 2, { width: amountWidth - 8, align: 'right' });
    y = Math.max(labelBottom, doc.y) + 6;
  }
  return y;
}

/** A titled paragraph (terms, notes, schedule, signatures); returns the y below it. */
function drawSection(doc: Pdf, brand: Brand, label: string, lines: string[], y: number, continuation: string): number {
  const text = lines.map(pdfText).join('\n');
  doc.font(FONT.regular).fontSize(9.5);
  y = ensureSpace(doc, brand, y, doc.heightOfString(text, { width: CONTENT_WIDTH }) + 20, continuation);
  doc.font(FONT.bold).fontSize(8).fillColor(brand.color).text(label.toUpperCase(), PAGE.margin, y, { characterSpacing: 0.8 });
  doc.font(FONT.regular).fontSize(9.5).fillColor(INK.text).text(text, PAGE.margin, y + 13, { width: CONTENT_WIDTH });
  return doc.y + 14;
}

const adjustmentLabel = (fallback: string, a: { description: string | null; percent: string | null; inclusive: boolean }): string =>
  `${a.description ?? fallback}${a.percent ? ` (${a.percent}%${a.inclusive ? ', included' : ''})` : ''}`;

export async function renderQuotePdf(view: QuoteVersionView, brand: Brand, options: RenderOptions = {}): Promise<Buffer> {
  const { content, totals, timeZone: tz } = view;
  const title = quoteTitle(view);
  const doc = createDocument({ title, author: brand.legalName, subject: `${content.title} for ${view.customer.name}`, createdAt: view.createdAt }, options);
  const money = (amount: number) => pdfMoney(amount, content.currency);
  const continuation = `${title} (continued)`;

  let y = drawHeader(doc, brand, 'Quote', view.quoteId);
  const columnWidth = CONTENT_WIDTH / 2 - 12;
  const metaX = PAGE.margin + CONTENT_WIDTH / 2 + 12;
  const fromBottom = drawAddressBlock(doc, 'From', brand.legalName, [...senderLines(brand), `Prepared by ${content.owner.name} (${content.owner.email})`], PAGE.margin, y, columnWidth);
  const forBottom = drawAddressBlock(doc, 'Prepared for', view.customer.name, [view.customer.email], PAGE.margin, fromBottom + 14, columnWidth);

  const pill = STAGE_PILLS[view.stage];
  if (pill) drawPill(doc, pill.text, PAGE.width - PAGE.margin, y, pill.color);
  const facts: [string, string][] = [
    ['Quote', content.title],
    ['Version', String(content.version)],
    ['Issued', formatDate(view.createdAt, tz)],
    ['Valid until', formatDate(view.expiresAt, tz)],
    ...(view.acceptedAt ? ([['Accepted', formatDate(view.acceptedAt, tz)]] as [string, string][]) : []),
  ];
  const factsBottom = drawKeyValues(doc, facts, metaX, y + 24, columnWidth, 80);
  y = Math.max(forBottom, factsBottom) + 22;

  const amountWidth = 96;
  const unitWidth = 96;
  const qtyWidth = 48;
  y = drawTable(
    doc,
    brand,
    [
      { header: 'Description', width: CONTENT_WIDTH - qtyWidth - unitWidth - amountWidth },
      { header: 'Qty', width: qtyWidth, align: 'right' },
      { header: 'Unit price', width: unitWidth, align: 'right' },
      { header: 'Amount', width: amountWidth, align: 'right' },
    ],
    content.lines.map((l) => ({
      cells: [l.description, String(l.quantity), money(l.unitAmount), money(l.unitAmount * l.quantity)],
      detail: l.recurring ? `Billed ${describeInterval(l.recurring)}` : 'One-time',
    })),
    y,
    continuation,
  );

  const one = totals.oneTime;
  const rows: TotalRow[] = [{ label: 'One-time subtotal', value: money(one.subtotal) }];
  for (const d of view.discounts) rows.push({ label: adjustmentLabel('Discount', d), value: `-${money(d.amount)}` });
  for (const f of view.fees) rows.push({ label: adjustmentLabel('Fee', f), value: money(f.amount) });
  for (const t of view.taxes) rows.push({ label: adjustmentLabel('Tax', t), value: money(t.amount) });
  rows.push({ label: 'Due on acceptance', value: money(one.total), strong: true });
  for (const r of totals.recurring) rows.push({ label: `Then ${describeInterval(r.interval)}${r.taxTotal ? ' (incl. tax)' : ''}`, value: money(r.total), strong: true });
  y = drawTotals(doc, brand, rows, y, continuation) + 16;

  if (view.schedule) {
    const lines = view.schedule.instalments.map(
      (i) => `${i.kind === 'down_payment' ? 'Down payment' : `Instalment ${i.number}`}: ${money(i.amount)}${i.dueDate ? `, due ${formatDate(i.dueDate, tz)}` : ''}`,
    );
    const when = view.schedule.instalments.some((i) => i.dueDate) ? '' : ` First payment on acceptance, then ${describeInterval(view.schedule.interval)}.`;
    y = drawSection(doc, brand, 'Payment schedule', [...lines, ...(when ? [when.trim()] : [])], y, continuation);
  }
  if (content.terms) y = drawSection(doc, brand, 'Terms', [content.terms], y, continuation);
  if (content.notes) y = drawSection(doc, brand, 'Notes', [content.notes], y, continuation);
  const signatures = view.signers.map((s) => `${s.name} (${s.kind === 'customer' ? 'customer' : 'countersignature'}): ${s.signedAt ? `signed ${formatDate(s.signedAt, tz)}` : 'not signed yet'}`);
  drawSection(doc, brand, 'Signatures', signatures, y, continuation);

  const watermark = WATERMARKS[view.stage];
  if (watermark) drawWatermark(doc, watermark, STAGE_PILLS[view.stage]?.color ?? INK.muted);
  drawFooters(doc, brand);
  return finish(doc);
}
