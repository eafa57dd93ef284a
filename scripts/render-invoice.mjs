#!/usr/bin/env node
/**
 * Renders a sample branded invoice and receipt to PDF and page 1 of each to PNG, to look at layout
 * changes without a database:
 *
 *   node --import tsx scripts/render-invoice.mjs [--out DIR] [--color '#0F766E'] [--logo logo.png] [--lines N] [--status draft]
 *
 * Writes DIR/invoice.pdf, DIR/invoice-page1.png, DIR/receipt.pdf and DIR/receipt-page1.png (DIR
 * defaults to the system temp directory).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as mupdf from 'mupdf';
import { brandFromProfile, defaultCompanyProfile } from '../services/documents/brand.ts';
import { renderInvoicePdf } from '../services/documents/invoice-pdf.ts';
import { renderReceiptPdf } from '../services/documents/receipt-pdf.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: tmpdir() },
    color: { type: 'string', default: '#0F766E' },
    logo: { type: 'string' },
    lines: { type: 'string', default: '4' },
    status: { type: 'string', default: 'open' },
  },
});

const profile = Object.assign(defaultCompanyProfile(), {
  legalName: 'Northwind Analytics Ltd',
  displayName: 'Northwind',
  brandColor: values.color.toUpperCase(),
  address: { line1: '12 Harbour Street', city: 'Bristol', postalCode: 'BS1 4RN', country: 'GB' },
  taxId: 'GB 123 4567 89',
  contactEmail: 'accounts@northwind.example',
  contactPhone: '+44 117 496 0000',
  website: 'northwind.example',
  invoiceFooter: 'Northwind Analytics Ltd is registered in England and Wales (No. 01234567). Thank you for your business.',
  ...(values.logo ? { logo: readFileSync(values.logo), logoContentType: values.logo.endsWith('.png') ? 'image/png' : 'image/jpeg' } : {}),
});
const brand = brandFromProfile(profile);

const day = (iso) => new Date(`${iso}T12:00:00Z`);
const descriptions = [
  'Analytics Pro plan (monthly)',
  'Additional seats',
  'Onboarding workshop: two half-day sessions on site for the analytics and finance teams, materials and follow-up call included',
  'Priority support',
];
const lines = Array.from({ length: Number(values.lines) }, (_, i) => ({
  description: descriptions[i % descriptions.length],
  quantity: i % 4 === 1 ? 5 : 1,
  unitAmount: [49_00, 12_00, 750_00, 99_00][i % 4],
  amount: [49_00, 60_00, 750_00, 99_00][i % 4],
  periodStart: i % 4 === 0 ? day('2026-11-01') : null,
  periodEnd: i % 4 === 0 ? day('2026-11-30') : null,
}));
const subtotal = lines.reduce((sum, l) => sum + l.amount, 0);
const discount = Math.round(subtotal / 10);
const fee = 15_00;
const tax = Math.round((subtotal - discount + fee) / 5);
const total = subtotal - discount + fee + tax;
const paid = values.status === 'paid';
const customer = {
  name: 'Acme Retail GmbH',
  email: 'billing@acme.example',
  addressLines: ['Friedrichstraße 123', '10117 Berlin', 'DE'],
  taxId: 'DE 811 907 980',
};

const invoice = await renderInvoicePdf(
  {
    number: values.status === 'draft' ? null : 'INV-000042',
    status: values.status,
    currency: 'EUR',
    issuedAt: day('2026-11-01'),
    dueDate: day('2026-12-01'),
    paidAt: paid ? day('2026-11-03') : null,
    periodStart: day('2026-11-01'),
    periodEnd: day('2026-11-30'),
    timeZone: 'Europe/Berlin',
    paymentTerms: 'Net 30',
    memo: 'Thanks for choosing Northwind again this month. The onboarding workshop covers both teams.',
    footer: null,
    customer,
    lines,
    subtotal,
    adjustments: [
      { kind: 'discount', label: 'Loyalty discount (10%)', amount: discount },
      { kind: 'fee', label: 'Card processing fee', amount: fee },
      { kind: 'tax', label: 'VAT 20%', amount: tax },
    ],
    tax,
    total,
    amountPaid: paid ? total : 0,
    amountRefunded: 0,
    amountDue: paid ? 0 : total,
  },
  brand,
);
const receipt = await renderReceiptPdf(
  {
    paymentId: 'pay_0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4',
    reference: null,
    paidAt: day('2026-11-03'),
    amount: total,
    currency: 'EUR',
    paymentMethod: 'pm_card_visa',
    timeZone: 'Europe/Berlin',
    customer,
    invoice: { number: 'INV-000042', total, amountPaid: total, amountDue: 0, periodStart: day('2026-11-01'), periodEnd: day('2026-11-30') },
  },
  brand,
);

for (const [name, pdf] of [['invoice', invoice], ['receipt', receipt]]) {
  writeFileSync(join(values.out, `${name}.pdf`), pdf);
  const page = mupdf.Document.openDocument(pdf, 'application/pdf').loadPage(0);
  const pixmap = page.toPixmap(mupdf.Matrix.scale(2, 2), mupdf.ColorSpace.DeviceRGB, false, true);
  writeFileSync(join(values.out, `${name}-page1.png`), pixmap.asPNG());
  console.log(`${join(values.out, `${name}.pdf`)} (${pdf.length} bytes), ${join(values.out, `${name}-page1.png`)}`);
}
