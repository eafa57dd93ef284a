import { EntitySchema } from '@mikro-orm/core';
import { timestamptz } from './columns';

/**
 * A one-time sign-in link to the customer portal, emailed to a customer who asked for one on the
 * sign-in page. Only the SHA-256 of its token (`psl_...`) is stored; the token lives in the delivered
 * email alone. It opens one portal session, once (`usedAt`), within 15 minutes.
 */
export class PortalSignInLink {
  id!: string;
  customerId!: string;
  tokenHash!: string;
  /** The outbox key of the email that carried it (`portal_sign_in:<request id>`). */
  emailKey!: string;
  expiresAt!: Date;
  usedAt!: Date | null;
  createdAt!: Date;
}

export const PortalSignInLinkSchema = new EntitySchema<PortalSignInLink>({
  class: PortalSignInLink,
  tableName: 'portal_sign_in_links',
  properties: {
    id: { type: 'string', primary: true },
    customerId: { type: 'string' },
    tokenHash: { type: 'string', unique: true },
    emailKey: { type: 'string' },
    expiresAt: timestamptz(),
    usedAt: timestamptz(true),
    createdAt: timestamptz(),
  },
});

/**
 * A customer's explicit consent, given on the registration page, to be charged in future by a
 * recurring subscription: the exact sentence shown beside the checkbox, when and from where it was
 * ticked. Kept as evidence for disputes; never edited.
 */
export class ChargeConsent {
  id!: string;
  customerId!: string;
  subscriptionId!: string;
  priceId!: string;
  /** The consent sentence exactly as the customer saw it. */
  text!: string;
  givenAt!: Date;
  ipAddress!: string | null;
  userAgent!: string | null;
}

export const ChargeConsentSchema = new EntitySchema<ChargeConsent>({
  class: ChargeConsent,
  tableName: 'charge_consents',
  properties: {
    id: { type: 'string', primary: true },
    customerId: { type: 'string' },
    subscriptionId: { type: 'string' },
    priceId: { type: 'string' },
    text: { type: 'text' },
    givenAt: timestamptz(),
    ipAddress: { type: 'string', nullable: true },
    userAgent: { type: 'text', nullable: true },
  },
});
