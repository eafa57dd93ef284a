/** Every email template carries the company's branding through the shared header and footer partials. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { brandEmailView, brandFromProfile, defaultCompanyProfile } from '../../../services/documents/brand';
import { renderEmail, type EmailKind } from '../../../activities/email/templates';

const TEMPLATE_DIR = join(__dirname, '../../../activities/email/templates');
/** Every kind that has templates, so a template added later is checked without touching this test. */
const kinds = readdirSync(TEMPLATE_DIR)
  .filter((file) => file.endsWith('.html.mustache'))
  .map((file) => file.replace('.html.mustache', '') as EmailKind);

const profile = Object.assign(defaultCompanyProfile(), {
  legalName: 'Northwind Analytics Ltd',
  displayName: 'Northwind',
  brandColor: '#0F766E',
  address: { line1: '12 Harbour Street', city: 'Bristol', country: 'GB' },
  taxId: 'GB123456789',
  contactEmail: 'accounts@northwind.example',
  invoiceFooter: 'Questions? Reply to this email & we will help.',
});
const logo = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

const view = (brand: ReturnType<typeof brandEmailView>) => ({
  brand,
  customerName: 'Grace <Hopper>',
  invoiceNumber: 'INV-000042',
  amount: '$29.00',
  dueDate: '1 Dec 2026',
});

test('the templates directory has the known kinds', () => {
  expect(kinds).toEqual(expect.arrayContaining(['invoice_sent', 'payment_receipt', 'payment_failed']));
});

describe.each(kinds)('%s', (kind) => {
  test('HTML: logo, brand colour, legal name, address, tax id, contact and footer, all escaped', () => {
    const brand = brandEmailView(brandFromProfile(Object.assign(defaultCompanyProfile(), profile, { logo, logoContentType: 'image/png' })));
    const { html, subject } = renderEmail(kind, view(brand));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).toContain(`<img src="data:image/png;base64,${logo.toString('base64')}" alt="Northwind"`);
    expect(html).toContain('border-top: 6px solid #0F766E');
    expect(html).toContain('Northwind Analytics Ltd');
    expect(html).toContain('12 Harbour Street, Bristol, United Kingdom');
    expect(html).toContain('Tax ID: GB123456789');
    expect(html).toContain('accounts@northwind.example');
    expect(html).toContain('Questions? Reply to this email &amp; we will help.');
    expect(html).not.toContain('Grace <Hopper>');
    expect(subject).not.toContain('\n');
  });

  test('HTML without a logo shows the display name in the brand colour; hidden fields are left out', () => {
    const brand = brandEmailView(brandFromProfile(Object.assign(defaultCompanyProfile(), profile, { showTaxId: false, showContact: false, showAddress: false })));
    const { html } = renderEmail(kind, view(brand));
    expect(html).not.toContain('<img');
    expect(html).toContain('color: #0F766E;">Northwind</div>');
    expect(html).not.toContain('GB123456789');
    expect(html).not.toContain('accounts@northwind.example');
    expect(html).not.toContain('12 Harbour Street');
  });

  test('text: a signature with the legal name, address and footer, unescaped', () => {
    const brand = brandEmailView(brandFromProfile(Object.assign(defaultCompanyProfile(), profile)));
    const { text } = renderEmail(kind, view(brand));
    expect(text).toContain('\n--\nNorthwind Analytics Ltd\n12 Harbour Street, Bristol, United Kingdom\nTax ID: GB123456789\naccounts@northwind.example\n');
    expect(text.trimEnd().endsWith('Questions? Reply to this email & we will help.')).toBe(true);
  });
});

test('an email rendered without a brand still renders cleanly, with no empty branding left in it', () => {
  const { html, text } = renderEmail('payment_receipt', { customerName: 'Grace', invoiceNumber: 'INV-1', amount: '$1.00', paymentId: 'pay_1', paymentMethod: 'pm_card_visa' });
  expect(html).toContain('border-top: 6px solid #111827;');
  expect(html).not.toContain('<img');
  expect(html).not.toContain('<strong style="color: #374151;">');
  expect(html).toContain('We received your payment of <strong>$1.00</strong>');
  expect(text).not.toContain('--');
  expect(text.trimEnd().endsWith('Thank you for your business.')).toBe(true);
});
