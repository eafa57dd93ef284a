/**
 * Shared page furniture for the PDFs (invoice, receipt): page set-up, the branded header and footer,
 * tables that break across pages, and text safe for the standard PDF fonts.
 *
 * The documents use the 14 standard PDF fonts (Helvetica), which every viewer has and which cost
 * nothing to embed, so a PDF renders in a few milliseconds and is byte-for-byte repeatable. Those
 * fonts only encode Windows-1252 (WinAnsi); `pdfText` maps anything else to the nearest encodable
 * text instead of letting pdfkit write garbage glyphs.
 */
import PDFDocument from 'pdfkit';
import { DateTime } from 'luxon';
import { formatMoney } from '../../domain/money';
import { tint, type Brand } from './brand';

export type Pdf = PDFKit.PDFDocument;

export const PAGE = { width: 595.28, height: 841.89, margin: 48 } as const;
export const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
/** Content stops here; below it sits the footer. */
export const CONTENT_BOTTOM = PAGE.height - 96;

export const FONT = { regular: 'Helvetica', bold: 'Helvetica-Bold' } as const;
export const INK = { text: '#111827', muted: '#6B7280', rule: '#E5E7EB', faint: '#F3F4F6' } as const;

export interface RenderOptions {
  /**
   * Deflate the page streams (default true). Tests read the drawing operators of an uncompressed
   * file; production output is always compressed.
   */
  compress?: boolean;
}

export function createDocument(meta: { title: string; author: string; subject: string; createdAt: Date }, options: RenderOptions = {}): Pdf {
  return new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    bufferPages: true,
    compress: options.compress ?? true,
    // Fixed dates (the record's own) keep the output, including the file id derived from them, repeatable.
    info: {
      Title: pdfText(meta.title),
      Author: pdfText(meta.author),
      Subject: pdfText(meta.subject),
      Creator: 'Billing orchestrator',
      Producer: 'Billing orchestrator (pdfkit)',
      CreationDate: meta.createdAt,
      ModDate: meta.createdAt,
    },
    lang: 'en',
    displayTitle: true,
  });
}

/** Ends the document and collects its bytes. */
export function finish(doc: Pdf): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.end();
  });
}

// ---- text ------------------------------------------------------------------------------------

// Windows-1252 beyond Latin-1: what the standard fonts can show besides U+0020–U+007E and U+00A0–U+00FF.
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const encodable = (ch: string): boolean => {
  const code = ch.codePointAt(0)!;
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(ch);
};

/** Latin letters whose stroke is part of the letter, so Unicode decomposition does not remove it. */
const UNDECOMPOSABLE: Record<string, string> = { Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', Ħ: 'H', ħ: 'h', ı: 'i', Ŧ: 'T', ŧ: 't' };

/**
 * Text the standard fonts can show: letters with accents outside Windows-1252 lose the accent
 * ("Łódź" → "Lódz"), spaces and dashes of other widths become their plain forms, anything else "?".
 * Control characters (tabs, stray newlines in single-line fields) become spaces.
 */
export function pdfText(value: string): string {
  let out = '';
  for (const ch of value) {
    if (encodable(ch)) out += ch;
    else if (ch === '\n') out += '\n';
    else if (/\s/u.test(ch) || /\p{Cc}/u.test(ch)) out += ' ';
    else if (/\p{Pd}/u.test(ch)) out += '-';
    else if (UNDECOMPOSABLE[ch]) out += UNDECOMPOSABLE[ch];
    else {
      const stripped = ch.normalize('NFKD').replace(/\p{M}/gu, '');
      out += stripped && [...stripped].every(encodable) ? stripped : '?';
    }
  }
  return out;
}

/**
 * `formatMoney`, with the ISO code in place of a currency symbol the standard fonts cannot show
 * ("₹1,000.00" → "INR 1,000.00"); "$", "€", "£", "¥" stay as they are.
 */
export function pdfMoney(amount: number, currency: string): string {
  const formatted = formatMoney({ amount, currency });
  if ([...formatted].every(encodable)) return formatted;
  const digits = formatted.replace(/[^0-9.,\-\s]/g, '').trim();
  const negative = digits.startsWith('-');
  return `${negative ? '-' : ''}${currency.toUpperCase()} ${negative ? digits.slice(1).trim() : digits}`;
}

export function formatDate(date: Date | null | undefined, timeZone: string): string {
  if (!date) return '';
  const zoned = DateTime.fromJSDate(date, { zone: timeZone });
  return (zoned.isValid ? zoned : DateTime.fromJSDate(date, { zone: 'UTC' })).toFormat('d LLL yyyy');
}

export function formatPeriod(start: Date | null | undefined, end: Date | null | undefined, timeZone: string): string | null {
  return start && end ? `${formatDate(start, timeZone)} – ${formatDate(end, timeZone)}` : null;
}

// ---- page furniture ----------------------------------------------------------------------------

/** Draws the logo in the box; false when there is none or it cannot be decoded (then the caller shows the name). */
function drawLogo(doc: Pdf, brand: Brand, x: number, y: number, maxWidth: number, maxHeight: number): boolean {
  if (!brand.logo) return false;
  try {
    doc.image(brand.logo.data, x, y, { fit: [maxWidth, maxHeight], valign: 'center' });
    return true;
  } catch {
    // Logos are validated on upload; one that still fails must not stop an invoice from rendering.
    return false;
  }
}

/**
 * The top of the first page: a band in the brand colour, the logo (or the company name) on the left,
 * the document title and its number on the right. Returns the y where content starts.
 */
export function drawHeader(doc: Pdf, brand: Brand, title: string, reference: string | null): number {
  doc.rect(0, 0, PAGE.width, 10).fill(brand.color);
  const top = PAGE.margin;
  const logoHeight = 56;
  if (!drawLogo(doc, brand, PAGE.margin, top, 200, logoHeight)) {
    doc
      .font(FONT.bold)
      .fontSize(22)
      .fillColor(brand.color)
      .text(pdfText(brand.name), PAGE.margin, top + 14, { width: 280, lineBreak: false, ellipsis: true });
  }
  doc
    .font(FONT.bold)
    .fontSize(26)
    .fillColor(brand.color)
    .text(title.toUpperCase(), PAGE.margin + 260, top + 2, { width: CONTENT_WIDTH - 260, align: 'right', characterSpacing: 1.5 });
  if (reference) {
    doc
      .font(FONT.regular)
      .fontSize(11)
      .fillColor(INK.muted)
      .text(pdfText(reference), PAGE.margin + 260, top + 34, { width: CONTENT_WIDTH - 260, align: 'right' });
  }
  return top + logoHeight + 24;
}

/** A slim header for pages after the first, so a loose page still says what it belongs to. */
function drawContinuationHeader(doc: Pdf, brand: Brand, caption: string): number {
  doc.rect(0, 0, PAGE.width, 6).fill(brand.color);
  doc
    .font(FONT.bold)
    .fontSize(10)
    .fillColor(INK.muted)
    .text(pdfText(caption), PAGE.margin, PAGE.margin - 16, { width: CONTENT_WIDTH, align: 'right', lineBreak: false });
  return PAGE.margin + 8;
}

/** The sender block: legal name, address, tax id and contact lines, as the profile allows. */
export function senderLines(brand: Brand): string[] {
  const contact = [brand.email, brand.phone, brand.website].filter((part): part is string => Boolean(part));
  return [...brand.addressLines, ...(brand.taxId ? [`Tax ID: ${brand.taxId}`] : []), ...contact];
}

/** A titled block of lines ("From", "Bill to"); returns the y below it. */
export function drawAddressBlock(doc: Pdf, label: string, heading: string, lines: string[], x: number, y: number, width: number): number {
  doc.font(FONT.bold).fontSize(8).fillColor(INK.muted).text(label.toUpperCase(), x, y, { width, characterSpacing: 0.8 });
  doc.font(FONT.bold).fontSize(11).fillColor(INK.text).text(pdfText(heading), x, y + 13, { width });
  let bottom = doc.y + 2;
  doc.font(FONT.regular).fontSize(9).fillColor(INK.text);
  for (const line of lines) {
    doc.text(pdfText(line), x, bottom, { width });
    bottom = doc.y + 1;
  }
  return bottom;
}

/** Label/value rows, labels muted on the left, values right-aligned; returns the y below them. */
export function drawKeyValues(doc: Pdf, rows: [string, string][], x: number, y: number, width: number, labelWidth = width * 0.45): number {
  let rowY = y;
  for (const [label, value] of rows) {
    doc.font(FONT.regular).fontSize(9).fillColor(INK.muted).text(pdfText(label), x, rowY, { width: labelWidth });
    doc.font(FONT.bold).fontSize(9).fillColor(INK.text).text(pdfText(value), x + labelWidth, rowY, { width: width - labelWidth, align: 'right' });
    rowY = Math.max(doc.y, rowY + 12) + 4;
  }
  return rowY;
}

/** A small rounded label ("PAID", "OPEN") in the given colour. */
export function drawPill(doc: Pdf, text: string, rightX: number, y: number, color: string): void {
  doc.font(FONT.bold).fontSize(8);
  const width = doc.widthOfString(text, { characterSpacing: 0.8 }) + 14;
  doc.roundedRect(rightX - width, y, width, 15, 7.5).fill(tint(color, 0.15));
  doc.fillColor(color).text(text, rightX - width, y + 4, { width, align: 'center', characterSpacing: 0.8, lineBreak: false });
}

/** Large diagonal text across every page ("DRAFT", "VOID"), faint enough to read the invoice through. */
export function drawWatermark(doc: Pdf, text: string, color: string): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    doc.save();
    doc.rotate(-35, { origin: [PAGE.width / 2, PAGE.height / 2] });
    doc.font(FONT.bold).fontSize(120).fillColor(color).fillOpacity(0.07);
    doc.text(text, 0, PAGE.height / 2 - 60, { width: PAGE.width, align: 'center', lineBreak: false });
    doc.restore();
  }
}

/**
 * The footer on every page: the company's footer text, its legal name and tax id, and "Page i of n".
 * Drawn once all pages exist (the document buffers its pages), so the page count is known.
 */
export function drawFooters(doc: Pdf, brand: Brand): void {
  const range = doc.bufferedPageRange();
  const legal = [brand.legalName, brand.taxId ? `Tax ID ${brand.taxId}` : null].filter(Boolean).join(' · ');
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Writing below the bottom margin would make pdfkit start a new page.
    const bottomMargin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    let y = PAGE.height - 78;
    doc.moveTo(PAGE.margin, y).lineTo(PAGE.width - PAGE.margin, y).lineWidth(0.5).strokeColor(INK.rule).stroke();
    y += 8;
    if (brand.footer) {
      doc.font(FONT.regular).fontSize(8).fillColor(INK.muted);
      doc.text(pdfText(brand.footer), PAGE.margin, y, { width: CONTENT_WIDTH, align: 'center', height: 30, ellipsis: true });
    }
    doc.font(FONT.regular).fontSize(7.5).fillColor(INK.muted);
    doc.text(pdfText(legal), PAGE.margin, PAGE.height - 36, { width: CONTENT_WIDTH * 0.75, lineBreak: false, ellipsis: true });
    doc.text(`Page ${i - range.start + 1} of ${range.count}`, PAGE.margin, PAGE.height - 36, { width: CONTENT_WIDTH, align: 'right', lineBreak: false });
    doc.rect(0, PAGE.height - 6, PAGE.width, 6).fill(brand.color);
    doc.page.margins.bottom = bottomMargin;
  }
}

// ---- tables ----------------------------------------------------------------------------------

export interface Column {
  header: string;
  width: number;
  align?: 'left' | 'right' | 'center';
}

export interface Row {
  cells: string[];
  /** Smaller muted text under the first cell (a billing period, a note). */
  detail?: string | null;
}

const CELL_PAD_X = 8;
const CELL_PAD_Y = 7;

/**
 * A table with a header row in the brand colour and striped body rows. When a row does not fit above
 * the footer, the table continues on a new page under a repeated header. Returns the y below it.
 */
export function drawTable(doc: Pdf, brand: Brand, columns: Column[], rows: Row[], startY: number, continuation: string): number {
  const drawHeaderRow = (y: number): number => {
    doc.rect(PAGE.margin, y, CONTENT_WIDTH, 22).fill(brand.color);
    let x = PAGE.margin;
    doc.font(FONT.bold).fontSize(8.5).fillColor(brand.onColor);
    for (const column of columns) {
      doc.text(column.header.toUpperCase(), x + CELL_PAD_X, y + 7.5, {
        width: column.width - 2 * CELL_PAD_X,
        align: column.align ?? 'left',
        characterSpacing: 0.5,
        lineBreak: false,
      });
      x += column.width;
    }
    return y + 22;
  };

  const rowHeight = (row: Row): number => {
    doc.font(FONT.regular).fontSize(9.5);
    let height = 0;
    row.cells.forEach((cell, i) => {
      height = Math.max(height, doc.heightOfString(pdfText(cell), { width: columns[i]!.width - 2 * CELL_PAD_X }));
    });
    if (row.detail) {
      doc.fontSize(8);
      height += 2 + doc.heightOfString(pdfText(row.detail), { width: columns[0]!.width - 2 * CELL_PAD_X });
    }
    return height + 2 * CELL_PAD_Y;
  };

  let y = drawHeaderRow(startY);
  rows.forEach((row, index) => {
    const height = rowHeight(row);
    if (y + height > CONTENT_BOTTOM) {
      doc.addPage();
      y = drawHeaderRow(drawContinuationHeader(doc, brand, continuation));
    }
    if (index % 2 === 1) doc.rect(PAGE.margin, y, CONTENT_WIDTH, height).fill(tint(brand.color, 0.06));
    let x = PAGE.margin;
    row.cells.forEach((cell, i) => {
      const column = columns[i]!;
      doc.font(FONT.regular).fontSize(9.5).fillColor(INK.text);
      doc.text(pdfText(cell), x + CELL_PAD_X, y + CELL_PAD_Y, { width: column.width - 2 * CELL_PAD_X, align: column.align ?? 'left' });
      if (i === 0 && row.detail) {
        doc.font(FONT.regular).fontSize(8).fillColor(INK.muted);
        doc.text(pdfText(row.detail), x + CELL_PAD_X, doc.y + 2, { width: column.width - 2 * CELL_PAD_X });
      }
      x += column.width;
    });
    y += height;
    doc.moveTo(PAGE.margin, y).lineTo(PAGE.width - PAGE.margin, y).lineWidth(0.5).strokeColor(INK.rule).stroke();
  });
  return y;
}

/** Moves to a new page (with the slim header) when `height` more points do not fit; returns the y to draw at. */
export function ensureSpace(doc: Pdf, brand: Brand, y: number, height: number, continuation: string): number {
  if (y + height <= CONTENT_BOTTOM) return y;
  doc.addPage();
  return drawContinuationHeader(doc, brand, continuation) + 8;
}

/**
 * Checks that pdfkit can embed an uploaded logo by embedding it into a throwaway document, so a
 * corrupt or unsupported image (interlaced PNG, CMYK JPEG quirks) is refused at upload, not when an
 * invoice is rendered.
 */
export async function canEmbedImage(data: Buffer): Promise<boolean> {
  try {
    const doc = new PDFDocument({ size: [100, 100], margin: 0, compress: false, autoFirstPage: true });
    doc.image(data, 0, 0, { fit: [50, 50] });
    await finish(doc);
    return true;
  } catch {
    return false;
  }
}
