/**
 * Hosted invoice links (`hosted_invoice_url`, Stripe's name): `PUBLIC_URL/invoices/<invoice id>/<token>`,
 * the page where a customer sees, downloads and pays one invoice without signing in. The link is the
 * credential, so its token is an HMAC-SHA256 of the invoice id under the server's LINK_SIGNING_SECRET:
 * 256 bits nobody can guess without the secret, the same every time it is computed (so the API can show
 * it on every read and every email can carry it), and stored nowhere: there is no table of tokens to leak.
 * Rotating the secret invalidates every link sent so far.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A shorter secret is refused at start (config.ts): an HMAC key below the hash's strength weakens every link. */
export const MIN_LINK_SIGNING_SECRET_LENGTH = 32;

/**
 * What the HMAC signs. The purpose prefix keeps a token minted here from being valid for any other kind
 * of link signed with the same secret later.
 */
const signedMessage = (invoiceId: string): string => `hosted_invoice:${invoiceId}`;

/** The token of the invoice's hosted page link: base64url of HMAC-SHA256 (43 characters, 256 bits). */
export function invoiceLinkToken(secret: string, invoiceId: string): string {
  return createHmac('sha256', secret).update(signedMessage(invoiceId), 'utf8').digest('base64url');
}

/**
 * True only for the exact token of this invoice. Compared in constant time, so response timing says
 * nothing about how much of a guess was right. Any other spelling (case changed, percent-encoded,
 * padded, truncated) is refused: base64url is case-sensitive and the real token has no `%` or `=`.
 */
export function verifyInvoiceLinkToken(secret: string, invoiceId: string, token: string): boolean {
  const expected = Buffer.from(invoiceLinkToken(secret, invoiceId), 'utf8');
  const given = Buffer.from(token, 'utf8');
  // timingSafeEqual needs equal lengths; the length of a valid token is public (always 43).
  if (given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}

/** The page's path below PUBLIC_URL. Invoice ids are URL-safe (`in_...`), encoded anyway. */
export const hostedInvoicePath = (invoiceId: string, token: string): string => `/invoices/${encodeURIComponent(invoiceId)}/${token}`;

/** Signs and checks hosted invoice links for one deployment (its PUBLIC_URL and LINK_SIGNING_SECRET). */
export interface InvoiceLinkSigner {
  /** The absolute link to the invoice's hosted page. */
  url(invoiceId: string): string;
  verify(invoiceId: string, token: string): boolean;
}

export function invoiceLinkSigner({ publicUrl, secret }: { publicUrl: string; secret: string }): InvoiceLinkSigner {
  if (secret.length < MIN_LINK_SIGNING_SECRET_LENGTH) {
    throw new Error(`the link signing secret must be at least ${MIN_LINK_SIGNING_SECRET_LENGTH} characters`);
  }
  const base = publicUrl.replace(/\/+$/, '');
  return {
    url: (invoiceId) => `${base}${hostedInvoicePath(invoiceId, invoiceLinkToken(secret, invoiceId))}`,
    verify: (invoiceId, token) => verifyInvoiceLinkToken(secret, invoiceId, token),
  };
}

/** `hosted_invoice_url` of an invoice resource: null for a draft (not issued, nothing to show or pay). */
export function hostedInvoiceUrl(signer: InvoiceLinkSigner | null, invoice: { id: string; status: string }): string | null {
  return signer && invoice.status !== 'draft' ? signer.url(invoice.id) : null;
}
