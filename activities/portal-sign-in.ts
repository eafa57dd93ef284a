/**
 * The portal sign-in email: a one-time link to the customer's portal. The token is minted here and
 * lives only in memory and in the delivered email: the link row keeps its SHA-256 and the outbox keeps
 * a copy with the token redacted (as quote links: activities/quotes.ts), so nobody reading the outbox
 * or the database can sign in as the customer. A retried delivery (the email still pending) mints
 * another link under the same email key; one that did arrive keeps working until it expires.
 */
import type { ActivityDeps } from './deps';
import { Customer, Email } from '../db/entities';
import { recordNotFound } from './errors';
import { queueAndDeliver } from './email/outbox';
import { renderEmail } from './email/templates';
import { REDACTED_TOKEN } from './quotes';
import { brandEmailView, loadBrand } from '../services/documents/brand';
import { SIGN_IN_LINK_TTL_MS, addSignInLink, signInLinkPath } from '../services/access/portal-sign-in-links';
import type { PortalSignInInput } from '../workflows/portal-sign-in/contract';

export function portalSignInActivities({ orm, mailer, emailFrom, publicUrl }: ActivityDeps) {
  return {
    /** Mints the link and emails it once per request; answers the outbox row's id. */
    async sendPortalSignInLink({ requestId, customerId, requestedAt }: PortalSignInInput): Promise<string> {
      const key = `portal_sign_in:${requestId}`;
      const em = orm.em.fork();
      const existing = await em.findOne(Email, { key });
      if (existing?.status === 'sent') return existing.id;
      const customer = await em.findOne(Customer, { id: customerId });
      if (!customer) throw recordNotFound('customer', customerId);
      const { token } = addSignInLink(em, { customerId, emailKey: key, requestedAt: new Date(requestedAt) });
      await em.flush();
      const brand = brandEmailView(await loadBrand(em));
      const view = { customerName: customer.name, companyName: brand.name, minutes: SIGN_IN_LINK_TTL_MS / 60_000, brand };
      const email = await queueAndDeliver(orm, mailer, emailFrom, {
        ...renderEmail('portal_sign_in', { ...view, signInUrl: `${publicUrl}${signInLinkPath(REDACTED_TOKEN)}` }),
        deliver: renderEmail('portal_sign_in', { ...view, signInUrl: `${publicUrl}${signInLinkPath(token)}` }),
        key,
        kind: 'portal_sign_in',
        to: customer.email,
        customerId,
        relatedId: null,
      });
      return email.id;
    },
  };
}
