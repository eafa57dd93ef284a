/** The quote PDF: it opens, carries the version's figures, schedule and signers as text, and shows the brand. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { brandFromProfile, defaultCompanyProfile } from '../../../services/documents/brand';
import { quoteFileName, renderQuotePdf } from '../../../services/documents/quote-pdf';
import type { QuoteVersionView } from '../../../services/quotes/quote-link-view';
import type { QuoteContent } from '../../../domain/quote';

function probeText(pdf: Buffer, colors: string[]): Promise<{ pages: number; text: string[]; colorPixels: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [join(__dirname, 'pdf-probe.mjs'), ...colors], { maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`pdf-probe failed: ${stderr || err.message}`)) : resolve(JSON.parse(stdout)),
    );
    child.stdin!.end(pdf);
  });
}

const content: QuoteContent = {
  quoteId: 'qt_123',
  version: 2,
  title: 'Analytics rollout',
  currency: 'usd',
  customer: { id: 'cus_1', name: 'Ada Lovelace', email: 'ada@example.com' },
  owner: { name: 'Sam Seller', email: 'sam@seller.example' },
  lines: [
    { id: 'qli_1', description: 'Onboarding workshop', priceId: null, unitAmount: 600_00, quantity: 1, recurring: null },
    { id: 'qli_2', description: 'Pro plan', priceId: 'price_1', unitAmount: 25_00, quantity: 2, recurring: { unit: 'month', count: 1 } },
  ],
  discounts: [{ type: 'percentage', ratePpm: 100_000, description: 'Launch offer', couponId: null }],
  fees: [{ type: 'fixed_amount', amount: 40_00, taxable: false, description: 'Travel' }],
  taxRates: [],
  expiresAt: '2027-03-07T12:00:00.000Z',
  terms: 'Payable on acceptance.',
  notes: null,
  payment: { oneTime: 'payment_schedule', paymentTerms: 'due_on_receipt', schedule: { count: 2, interval: { unit: 'month', count: 1 }, downPayment: null }, subscriptionStartDate: null },
  signing: {
    order: 'sequential',
    signers: [
      { id: 'signer_1', kind: 'customer', name: 'Ada Lovelace', email: 'ada@example.com' },
      { id: 'signer_2', kind: 'internal', name: 'Carla Countersign', email: 'carla@seller.example', apiKeyId: 'key_1' },
    ],
  },
};

const brand = brandFromProfile(Object.assign(defaultCompanyProfile(), { displayName: 'Acme Analytics', legalName: 'Acme Analytics Ltd', brandColor: '#7C3AED' }));

const view: QuoteVersionView = {
  quoteId: 'qt_123',
  stage: 'signing',
  state: 'waiting_for_others',
  content,
  contentHash: 'a'.repeat(64),
  totals: {
    currency: 'usd',
    oneTime: { subtotal: 600_00, discountTotal: 60_00, feeTotal: 40_00, taxTotal: 0, total: 580_00, discounts: [60_00], fees: [40_00], taxes: [] },
    recurring: [{ interval: { unit: 'month', count: 1 }, subtotal: 50_00, taxTotal: 0, total: 50_00 }],
    discountPpm: 100_000,
  },
  expiresAt: new Date(content.expiresAt),
  timeZone: 'Europe/London',
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  discounts: [{ description: 'Launch offer', percent: '10', inclusive: false, amount: 60_00 }],
  fees: [{ description: 'Travel', percent: null, inclusive: false, amount: 40_00 }],
  taxes: [],
  schedule: { interval: { unit: 'month', count: 1 }, instalments: [{ number: 1, kind: 'instalment', amount: 290_00, dueDate: null }, { number: 2, kind: 'instalment', amount: 290_00, dueDate: null }] },
  signers: [
    { name: 'Ada Lovelace', kind: 'customer', signedAt: new Date('2027-02-01T10:00:00Z'), isLinkSigner: true },
    { name: 'Carla Countersign', kind: 'internal', signedAt: null, isLinkSigner: false },
  ],
  linkSigner: { name: 'Ada Lovelace', kind: 'customer', signedAt: new Date('2027-02-01T10:00:00Z'), isLinkSigner: true },
  acceptedAt: null,
  declinedAt: null,
  declineReason: null,
  createdAt: new Date('2027-01-30T09:00:00Z'),
};

test('the quote PDF shows the version, its lines, totals, schedule and signatures in the brand colour', async () => {
  const pdf = await renderQuotePdf(view, brand);
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  const probe = await probeText(pdf, ['#7C3AED']);
  expect(probe.pages).toBe(1);
  const text = probe.text.join('\n').replace(/\s+/g, ' ');
  for (const expected of [
    'Quote',
    'qt_123',
    'Acme Analytics Ltd',
    'Ada Lovelace',
    'Analytics rollout',
    'Valid until',
    '7 Mar 2027',
    'Onboarding workshop',
    '$600.00',
    'Launch offer (10%)',
    '-$60.00',
    'Travel',
    '$580.00',
    'Then monthly',
    '$50.00',
    'Instalment 2: $290.00',
    'First payment on acceptance, then monthly.',
    'Payable on acceptance.',
    'Ada Lovelace (customer): signed 1 Feb 2027',
    'Carla Countersign (countersignature): not signed yet',
  ]) {
    expect(text).toContain(expected);
  }
  expect(probe.colorPixels['#7C3AED']).toBeGreaterThan(500);
  expect(quoteFileName(view)).toBe('quote-qt_123-v2.pdf');
});

test('a declined quote is stamped as such', async () => {
  const probe = await probeText(await renderQuotePdf({ ...view, stage: 'declined', state: 'declined' }, brand), []);
  expect(probe.text.join(' ')).toContain('DECLINED');
});
