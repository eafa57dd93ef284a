/**
 * Where an email that asks the customer to act sends them: an invoice's hosted page (pay it, or save
 * a new card and pay) or the customer portal (change or cancel a subscription).
 *
 * Unlike a quote signer's link (activities/quotes.ts), which the outbox keeps redacted, these links are
 * stored in the outbox as sent. A hosted invoice link opens that one invoice only, whose number, amount
 * and dates the email itself already contains, so the outbox row holding the link discloses nothing the
 * row does not already hold; and staff see `hosted_invoice_url` through the API anyway. The portal link
 * carries no credential at all (the portal asks the customer to sign in).
 */
import type { ActivityDeps } from '../deps';
import { invoiceLinkSigner } from '../../services/access/invoice-links';

export interface CustomerLinks {
  /** The invoice's hosted page; the portal when the worker has no link secret (tests that do not read links). */
  invoiceUrl(invoiceId: string): string;
  portalUrl: string;
}

export function customerLinks({ publicUrl, portalUrl, linkSigningSecret }: Pick<ActivityDeps, 'publicUrl' | 'portalUrl' | 'linkSigningSecret'>): CustomerLinks {
  const portal = portalUrl ?? `${publicUrl.replace(/\/+$/, '')}/portal`;
  const signer = linkSigningSecret ? invoiceLinkSigner({ publicUrl, secret: linkSigningSecret }) : null;
  return {
    invoiceUrl: (invoiceId) => (signer ? signer.url(invoiceId) : portal),
    portalUrl: portal,
  };
}
