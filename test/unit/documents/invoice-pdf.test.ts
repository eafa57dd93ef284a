/** Invoice and receipt PDFs: they open, carry the figures as text, and show the brand. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { deflateSync } from 'node:zlib';
import { brandFromProfile, defaultCompanyProfile, tint } from '../../../services/documents/brand';
import type { InvoiceDocumentData, ReceiptDocumentData } from '../../../services/documents/data';
import { invoiceFileName, renderInvoicePdf } from '../../../services/documents/invoice-pdf';
import { paymentMethodText, renderReceiptPdf } from '../../../services/documents/receipt-pdf';
import { canEmbedImage, pdfMoney, pdfText } from '../../../services/documents/layout';

interface Probe {
  pages: number;
  text: string[];
  width: number;
  height: number;
  colorPixels: Record<string, number>;
}

/** Opens the PDF with MuPDF in a child process (see pdf-probe.mjs). */
function probe(pdf: Buffer, colors: string[] = [], png?: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const args = [join(__dirname, 'pdf-probe.mjs'), ...(png ? ['--png', png] : []), ...colors];
    const child = execFile(process.execPath, args, { maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`pdf-probe failed: ${stderr || err.message}`)) : resolve(JSON.parse(stdout) as Probe),
    );
    child.stdin!.end(pdf);
  });
}

/** A solid-colour RGB PNG, built by hand so the test needs no image library. */
function solidPng(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (data: Buffer) => {
    let c = 0xffffffff;
    for (const byte of data) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const BRAND_COLOR = '#0F766E';
const LOGO_COLOR: [number, number, number] = [0xd9, 0x46, 0xef];

const brand = brandFromProfile(
  Object.assign(defaultCompanyProfile(), {
    legalName: 'Northwind Analytics Ltd',
    displayName: 'Northwind',
    brandColor: BRAND_COLOR,
    address: { line1: '12 Harbour Street', city: 'Bristol', postalCode: 'BS1 4RN', country: 'GB' },
    taxId: 'GB123456789',
    contactEmail: 'accounts@northwind.example',
    invoiceFooter: 'Registered in England and Wales, company number 01234567.',
  }),
);

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);

function invoice(overrides: Partial<InvoiceDocumentData> = {}): InvoiceDocumentData {
  return {
    number: 'INV-000042',
    status: 'open',
    currency: 'USD',
    issuedAt: day('2026-11-01'),
    dueDate: day('2026-12-01'),
    paidAt: null,
    periodStart: day('2026-11-01'),
    periodEnd: day('2026-11-30'),
    timeZone: 'America/New_York',
    paymentTerms: 'Net 30',
    memo: 'Thank you for renewing with us.',
    footer: null,
    customer: { name: 'Grace Hopper', email: 'grace@example.com', addressLines: ['1 Navy Yard', 'Arlington, VA 22202', 'United States'], taxId: null },
    lines: [
      { description: 'Analytics Pro (monthly)', quantity: 1, unitAmount: 4900, amount: 4900, periodStart: day('2026-11-01'), periodEnd: day('2026-11-30') },
      { description: 'Extra seats', quantity: 5, unitAmount: 1200, amount: 6000, periodStart: null, periodEnd: null },
    ],
    subtotal: 10900,
    adjustments: [
      { kind: 'discount', label: 'Loyalty (10%)', amount: 1090 },
      { kind: 'fee', label: 'Setup fee', amount: 2500 },
      { kind: 'tax', label: 'Sales tax 8.875%', amount: 1092 },
    ],
    tax: 1092,
    total: 13402,
    amountPaid: 2000,
    amountRefunded: 0,
    amountDue: 11402,
    ...overrides,
  };
}

describe('invoice PDF', () => {
  test('is a one-page PDF with the number, lines, every total and the branding as text', async () => {
    const pdf = await renderInvoicePdf(invoice(), brand);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-6).toString('latin1')).toContain('%%EOF');

    const { pages, text } = await probe(pdf);
    expect(pages).toBe(1);
    const page = text[0]!;
    for (const expected of [
      'INV-000042',
      'Grace Hopper',
      'Analytics Pro (monthly)',
      '$49.00',
      '$60.00',
      '$109.00', // subtotal
      'Loyalty (10%)',
      '-$10.90',
      'Setup fee',
      '$25.00',
      'Sales tax 8.875%',
      '$10.92',
      '$134.02', // total
      '-$20.00', // paid
      '$114.02', // due
      'Net 30',
      'Thank you for renewing with us.',
      'Northwind Analytics Ltd',
      'United Kingdom',
      'Tax ID: GB123456789',
      'Registered in England and Wales, company number 01234567.',
      'Page 1 of 1',
      '1 Dec 2026', // due date on the customer's calendar
    ]) {
      expect({ expected, found: page.includes(expected) }).toEqual({ expected, found: true });
    }
    expect(page).not.toContain('DRAFT');
  });

  test('page 1 shows the brand colour and the logo (rendered to PNG and looked at pixel by pixel)', async () => {
    const withLogo = brandFromProfile(
      Object.assign(defaultCompanyProfile(), { brandColor: BRAND_COLOR, logo: solidPng(120, 40, LOGO_COLOR), logoContentType: 'image/png' }),
    );
    const logoHex = `#${LOGO_COLOR.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
    const png = join(tmpdir(), 'invoice-page1.png');
    const branded = await probe(await renderInvoicePdf(invoice(), withLogo), [BRAND_COLOR, logoHex], png);
    expect(branded.width).toBe(596);
    // The header band, table header and amount-due panel: thousands of pixels of the brand colour.
    expect(branded.colorPixels[BRAND_COLOR]).toBeGreaterThan(5_000);
    // The logo fitted into its box keeps most of its 120×40 pixels.
    expect(branded.colorPixels[logoHex]).toBeGreaterThan(2_000);

    // Another brand colour moves with the profile: none of the first one is left.
    const other = brandFromProfile(Object.assign(defaultCompanyProfile(), { brandColor: '#B91C1C' }));
    const recoloured = await probe(await renderInvoicePdf(invoice(), other), [BRAND_COLOR, '#B91C1C', logoHex]);
    expect(recoloured.colorPixels[BRAND_COLOR]).toBe(0);
    expect(recoloured.colorPixels['#B91C1C']).toBeGreaterThan(5_000);
    expect(recoloured.colorPixels[logoHex]).toBe(0);
  });

  test('a profile that hides optional fields leaves them off the document', async () => {
    const hidden = brandFromProfile(
      Object.assign(defaultCompanyProfile(), {
        legalName: 'Northwind Analytics Ltd',
        taxId: 'GB123456789',
        address: { line1: '12 Harbour Street' },
        contactEmail: 'accounts@northwind.example',
        showTaxId: false,
        showAddress: false,
        showContact: false,
      }),
    );
    const { text } = await probe(await renderInvoicePdf(invoice(), hidden));
    expect(text[0]).toContain('Northwind Analytics Ltd');
    expect(text[0]).not.toContain('GB123456789');
    expect(text[0]).not.toContain('12 Harbour Street');
    expect(text[0]).not.toContain('accounts@northwind.example');
  });

  test("an invoice's own footer replaces the profile's", async () => {
    const { text } = await probe(await renderInvoicePdf(invoice({ footer: 'Bank: IBAN GB33 BUKB 2020 1555 5555 55' }), brand));
    expect(text[0]).toContain('Bank: IBAN GB33 BUKB 2020 1555 5555 55');
    expect(text[0]).not.toContain('Registered in England and Wales');
  });

  test('a draft without a number is watermarked and named after its id', async () => {
    const data = invoice({ number: null, status: 'draft' });
    const { text } = await probe(await renderInvoicePdf(data, brand));
    expect(text[0]).toContain('DRAFT');
    expect(text[0]).toContain('Assigned when issued');
    expect(invoiceFileName(data, 'in_0193')).toBe('invoice-draft-in_0193.pdf');
    expect(invoiceFileName(invoice(), 'in_0193')).toBe('invoice-INV-000042.pdf');
  });

  test('many lines continue on further pages with the table header repeated and every page numbered', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => ({
      description: `Usage item ${i + 1}`,
      quantity: 1,
      unitAmount: 100,
      amount: 100,
      periodStart: null,
      periodEnd: null,
    }));
    const pdf = await renderInvoicePdf(invoice({ lines, subtotal: 6000, adjustments: [], tax: 0, total: 6000, amountPaid: 0, amountDue: 6000 }), brand);
    const { pages, text } = await probe(pdf);
    expect(pages).toBeGreaterThan(1);
    const all = text.join('\n');
    for (let i = 1; i <= 60; i++) expect(all).toContain(`Usage item ${i}\n`);
    text.forEach((pageText, i) => {
      expect(pageText).toContain(`Page ${i + 1} of ${pages}`);
      expect(pageText).toContain('DESCRIPTION');
    });
    expect(text[pages - 1]).toContain('$60.00');
  });

  test('renders the same bytes for the same invoice, fast', async () => {
    const started = Date.now();
    const first = await renderInvoicePdf(invoice(), brand);
    const second = await renderInvoicePdf(invoice(), brand);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(second.equals(first)).toBe(true);
  });

  test('zero-decimal currencies and names outside the standard fonts still print legibly', async () => {
    const data = invoice({
      currency: 'JPY',
      lines: [{ description: 'Łódź workshop', quantity: 1, unitAmount: 15000, amount: 15000, periodStart: null, periodEnd: null }],
      subtotal: 15000,
      adjustments: [],
      tax: 0,
      total: 15000,
      amountPaid: 0,
      amountDue: 15000,
    });
    const { text } = await probe(await renderInvoicePdf(data, brand));
    expect(text[0]).toContain('¥15,000');
    expect(text[0]).toContain('Lódz workshop');
  });
});

describe('receipt PDF', () => {
  const receipt: ReceiptDocumentData = {
    paymentId: 'pay_0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4',
    reference: 'Check 1042',
    paidAt: day('2026-11-03'),
    amount: 13402,
    currency: 'USD',
    paymentMethod: 'check',
    timeZone: 'America/New_York',
    customer: { name: 'Grace Hopper', email: 'grace@example.com', addressLines: [], taxId: null },
    invoice: { number: 'INV-000042', total: 13402, amountPaid: 13402, amountDue: 0, periodStart: null, periodEnd: null },
  };

  test('shows the payment, its invoice and the remaining balance, in the brand colour', async () => {
    const { pages, text, colorPixels } = await probe(await renderReceiptPdf(receipt, brand), [BRAND_COLOR]);
    expect(pages).toBe(1);
    for (const expected of ['RECEIPT', 'pay_0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4', 'INV-000042', '$134.02', '$0.00', 'Check 1042', '3 Nov 2026', 'Grace Hopper']) {
      expect({ expected, found: text[0]!.includes(expected) }).toEqual({ expected, found: true });
    }
    expect(text[0]).toContain('Check');
    expect(colorPixels[BRAND_COLOR]).toBeGreaterThan(5_000);
  });
});

describe('layout helpers', () => {
  test('money keeps formatMoney output and falls back to the ISO code where the fonts lack the symbol', () => {
    expect(pdfMoney(123456, 'USD')).toBe('$1,234.56');
    expect(pdfMoney(-500, 'EUR')).toBe('-€5.00');
    expect(pdfMoney(100000, 'INR')).toBe('INR 1,000.00');
    expect(pdfMoney(-100000, 'INR')).toBe('-INR 1,000.00');
    expect(pdfMoney(1500, 'KWD')).toMatch(/^KWD\s1\.500$/);
  });

  test('text is reduced to what the standard fonts can show', () => {
    expect(pdfText('Café “Łódź” – 10€')).toBe('Café “Lódz” – 10€');
    expect(pdfText('東京\tline')).toBe('?? line');
  });

  test('payment methods read as a person would say them', () => {
    expect(paymentMethodText('pm_card_visa')).toBe('Card (visa)');
    expect(paymentMethodText('bank_transfer')).toBe('Bank transfer');
    expect(paymentMethodText('pm_1NXyz')).toBe('pm_1NXyz');
  });

  test('brand helpers: tints and corrupt images', async () => {
    expect(tint('#000000', 0)).toBe('#FFFFFF');
    expect(tint('#0F766E', 1)).toBe('#0F766E');
    expect(brand.onColor).toBe('#FFFFFF');
    expect(brandFromProfile(Object.assign(defaultCompanyProfile(), { brandColor: '#FDE047' })).onColor).toBe('#111827');
    expect(await canEmbedImage(solidPng(4, 4, [1, 2, 3]))).toBe(true);
    const truncated = solidPng(4, 4, [1, 2, 3]).subarray(0, 40);
    expect(await canEmbedImage(truncated)).toBe(false);
  });
});
