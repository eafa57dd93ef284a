import {
  MIN_LINK_SIGNING_SECRET_LENGTH,
  hostedInvoiceUrl,
  invoiceLinkSigner,
  invoiceLinkToken,
  verifyInvoiceLinkToken,
} from '../../../services/access/invoice-links';
import { loadConfig, requireLinkSigningSecret } from '../../../config';

const SECRET = 'test-link-signing-secret-0123456789abcdef';
const INVOICE = 'in_01HOSTEDLINKTEST';

describe('hosted invoice link tokens', () => {
  const token = invoiceLinkToken(SECRET, INVOICE);

  test('are base64url HMAC-SHA256: 43 characters (256 bits), stable for the same invoice and secret', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(invoiceLinkToken(SECRET, INVOICE)).toBe(token);
    expect(verifyInvoiceLinkToken(SECRET, INVOICE, token)).toBe(true);
  });

  test('differ per invoice and per secret', () => {
    expect(invoiceLinkToken(SECRET, 'in_other')).not.toBe(token);
    expect(invoiceLinkToken(`${SECRET}x`, INVOICE)).not.toBe(token);
  });

  test('a tampered token is refused (every position, one character changed)', () => {
    for (let i = 0; i < token.length; i += 1) {
      const replacement = token[i] === 'A' ? 'B' : 'A';
      expect(verifyInvoiceLinkToken(SECRET, INVOICE, token.slice(0, i) + replacement + token.slice(i + 1))).toBe(false);
    }
  });

  test("another invoice's token is refused", () => {
    expect(verifyInvoiceLinkToken(SECRET, INVOICE, invoiceLinkToken(SECRET, 'in_other'))).toBe(false);
    expect(verifyInvoiceLinkToken(SECRET, 'in_other', token)).toBe(false);
  });

  test('a token of the wrong length is refused (truncated, extended, padded, empty)', () => {
    for (const wrong of [token.slice(0, -1), `${token}A`, `${token}=`, '', token.slice(0, 32)]) {
      expect(verifyInvoiceLinkToken(SECRET, INVOICE, wrong)).toBe(false);
    }
  });

  test('a case-changed token is refused', () => {
    const flipped = [...token].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
    expect(flipped).not.toBe(token);
    expect(verifyInvoiceLinkToken(SECRET, INVOICE, flipped)).toBe(false);
    expect(verifyInvoiceLinkToken(SECRET, INVOICE, token.toUpperCase())).toBe(false);
    expect(verifyInvoiceLinkToken(SECRET, INVOICE, token.toLowerCase())).toBe(false);
  });

  test('a percent-encoded spelling of the token is refused', () => {
    const allEncoded = [...token].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');
    const firstEncoded = `%${token.charCodeAt(0).toString(16)}${token.slice(1)}`;
    expect(verifyInvoiceLinkToken(SECRET, INVOICE, allEncoded)).toBe(false);
    expect(verifyInvoiceLinkToken(SECRET, INVOICE, firstEncoded)).toBe(false);
  });
});

describe('invoiceLinkSigner', () => {
  test('builds PUBLIC_URL/invoices/<id>/<token> and checks it', () => {
    const signer = invoiceLinkSigner({ publicUrl: 'https://billing.example.com/', secret: SECRET });
    const url = signer.url(INVOICE);
    expect(url).toBe(`https://billing.example.com/invoices/${INVOICE}/${invoiceLinkToken(SECRET, INVOICE)}`);
    const [, id, token] = new URL(url).pathname.split('/').slice(1);
    expect(id).toBe(INVOICE);
    expect(signer.verify(INVOICE, token!)).toBe(true);
  });

  test(`refuses a secret shorter than ${MIN_LINK_SIGNING_SECRET_LENGTH} characters`, () => {
    expect(() => invoiceLinkSigner({ publicUrl: 'http://x', secret: 'short' })).toThrow(/at least 32/);
  });

  test('hosted_invoice_url is null for a draft and without a signer', () => {
    const signer = invoiceLinkSigner({ publicUrl: 'http://x', secret: SECRET });
    expect(hostedInvoiceUrl(signer, { id: INVOICE, status: 'draft' })).toBeNull();
    expect(hostedInvoiceUrl(null, { id: INVOICE, status: 'open' })).toBeNull();
    expect(hostedInvoiceUrl(signer, { id: INVOICE, status: 'paid' })).toBe(signer.url(INVOICE));
  });
});

describe('LINK_SIGNING_SECRET', () => {
  const base = { DATABASE_URL: 'postgres://billing@localhost:5432/billing' };

  test('unset: the config loads (migrations need none), but the API and worker refuse to start', () => {
    const config = loadConfig(base);
    expect(config.linkSigningSecret).toBeUndefined();
    expect(() => requireLinkSigningSecret(config)).toThrow(/LINK_SIGNING_SECRET is not set/);
  });

  test('shorter than 32 characters is refused at start; a long one is taken, trimmed', () => {
    expect(() => loadConfig({ ...base, LINK_SIGNING_SECRET: 'x'.repeat(31) })).toThrow(/at least 32 characters/);
    const config = loadConfig({ ...base, LINK_SIGNING_SECRET: ` ${SECRET}\n` });
    expect(requireLinkSigningSecret(config)).toBe(SECRET);
  });
});
