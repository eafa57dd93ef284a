import { EntitySchema } from '@mikro-orm/core';
import { minorUnits, timestamptz } from './columns';
import type { QuoteContent, QuotePaymentMode, QuoteStage, QuoteTotals, QuoteTransition } from '../../domain/quote';

/**
 * A sales quote. The API writes it once (stage `draft`, version 1); every later change (content,
 * stage, signatures, what it started) is written by its workflow `quote-<id>`.
 */
export class Quote {
  id!: string;
  customerId!: string;
  ownerName!: string;
  ownerEmail!: string;
  /** Who hears about the deal once paid (the internal notification and onboarding task); the owner when null. */
  accountManagerEmail!: string | null;
  title!: string;
  currency!: string;
  stage!: QuoteStage;
  /** The current version; earlier ones are superseded. */
  version!: number;
  /** SHA-256 of the current version's canonical JSON: what a signature binds to. */
  contentHash!: string;
  expiresAt!: Date;
  oneTimeTotal!: number;
  /** Share of the one-time subtotal the discounts take, in millionths. */
  discountPpm!: number;
  requiresApproval!: boolean;
  paymentMode!: QuotePaymentMode;
  /** What the workflow waits for now, in words (its query says the same). */
  waitingFor!: string;
  invoiceId!: string | null;
  instalmentPlanId!: string | null;
  subscriptionIds!: string[];
  /** Every stage change with its reason, oldest first. */
  timeline!: QuoteTransition[];
  approvedBy!: string | null;
  approvedAt!: Date | null;
  acceptedAt!: Date | null;
  fulfilledAt!: Date | null;
  declinedAt!: Date | null;
  declineReason!: string | null;
  voidedAt!: Date | null;
  voidReason!: string | null;
  expiredAt!: Date | null;
  workflowId!: string;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;
}

export const QuoteSchema = new EntitySchema<Quote>({
  class: Quote,
  tableName: 'quotes',
  properties: {
    id: { type: 'string', primary: true },
    customerId: { type: 'string' },
    ownerName: { type: 'string' },
    ownerEmail: { type: 'string' },
    accountManagerEmail: { type: 'string', nullable: true },
    title: { type: 'string' },
    currency: { type: 'string', length: 3 },
    stage: { type: 'string' },
    version: { type: 'integer' },
    contentHash: { type: 'string' },
    expiresAt: timestamptz(),
    oneTimeTotal: minorUnits(),
    discountPpm: { type: 'integer' },
    requiresApproval: { type: 'boolean' },
    paymentMode: { type: 'string' },
    waitingFor: { type: 'text' },
    invoiceId: { type: 'string', nullable: true },
    instalmentPlanId: { type: 'string', nullable: true },
    subscriptionIds: { type: 'json' },
    timeline: { type: 'json' },
    approvedBy: { type: 'string', nullable: true },
    approvedAt: timestamptz(true),
    acceptedAt: timestamptz(true),
    fulfilledAt: timestamptz(true),
    declinedAt: timestamptz(true),
    declineReason: { type: 'text', nullable: true },
    voidedAt: timestamptz(true),
    voidReason: { type: 'text', nullable: true },
    expiredAt: timestamptz(true),
    workflowId: { type: 'string', unique: true },
    metadata: { type: 'json' },
    createdAt: timestamptz(),
    updatedAt: timestamptz(),
  },
});

/** One version of a quote's content, exactly as it was hashed and shown. */
export class QuoteVersion {
  id!: string;
  quoteId!: string;
  version!: number;
  content!: QuoteContent;
  contentHash!: string;
  totals!: QuoteTotals;
  createdAt!: Date;
  supersededAt!: Date | null;
}

export const QuoteVersionSchema = new EntitySchema<QuoteVersion>({
  class: QuoteVersion,
  tableName: 'quote_versions',
  properties: {
    id: { type: 'string', primary: true },
    quoteId: { type: 'string' },
    version: { type: 'integer' },
    content: { type: 'json' },
    contentHash: { type: 'string' },
    totals: { type: 'json' },
    createdAt: timestamptz(),
    supersededAt: timestamptz(true),
  },
});

/** A signature on one version; `superseded` once a later version replaced the one signed. */
export class QuoteSignature {
  id!: string;
  quoteId!: string;
  version!: number;
  contentHash!: string;
  signerId!: string;
  kind!: 'customer' | 'internal';
  name!: string;
  email!: string;
  /** The signer's own link it came through (customer signers); null for internal signers and older signatures. */
  linkId!: string | null;
  /** The API key bound to the internal signer that signed; null for customer signers and older signatures. */
  apiKeyId!: string | null;
  ip!: string;
  userAgent!: string | null;
  signedAt!: Date;
  superseded!: boolean;
}

export const QuoteSignatureSchema = new EntitySchema<QuoteSignature>({
  class: QuoteSignature,
  tableName: 'quote_signatures',
  properties: {
    id: { type: 'string', primary: true },
    quoteId: { type: 'string' },
    version: { type: 'integer' },
    contentHash: { type: 'string' },
    signerId: { type: 'string' },
    kind: { type: 'string' },
    name: { type: 'string' },
    email: { type: 'string' },
    linkId: { type: 'string', nullable: true },
    apiKeyId: { type: 'string', nullable: true },
    ip: { type: 'string' },
    userAgent: { type: 'text', nullable: true },
    signedAt: timestamptz(),
    superseded: { type: 'boolean' },
  },
});

/**
 * An emailed acceptance link: only the SHA-256 of its token. It belongs to one customer signer of one
 * version, and the token alone says who signs: the signer is never taken from the request.
 */
export class QuoteLink {
  id!: string;
  quoteId!: string;
  tokenHash!: string;
  /** The outbox key of the email that carried it (a retried delivery mints another link for the same email). */
  emailKey!: string;
  /** The signer (`signer_<n>` of `version`) this link signs as. */
  signerId!: string;
  signerEmail!: string;
  version!: number;
  createdAt!: Date;
}

export const QuoteLinkSchema = new EntitySchema<QuoteLink>({
  class: QuoteLink,
  tableName: 'quote_links',
  properties: {
    id: { type: 'string', primary: true },
    quoteId: { type: 'string' },
    tokenHash: { type: 'string', unique: true },
    emailKey: { type: 'string' },
    signerId: { type: 'string' },
    signerEmail: { type: 'string' },
    version: { type: 'integer' },
    createdAt: timestamptz(),
  },
});

/** What the account manager does next for a customer won by a quote; one per quote. */
export class OnboardingTask {
  id!: string;
  quoteId!: string;
  customerId!: string;
  assigneeEmail!: string;
  title!: string;
  description!: string;
  status!: 'open' | 'done';
  createdAt!: Date;
}

export const OnboardingTaskSchema = new EntitySchema<OnboardingTask>({
  class: OnboardingTask,
  tableName: 'onboarding_tasks',
  properties: {
    id: { type: 'string', primary: true },
    quoteId: { type: 'string', unique: true },
    customerId: { type: 'string' },
    assigneeEmail: { type: 'string' },
    title: { type: 'string' },
    description: { type: 'text' },
    status: { type: 'string' },
    createdAt: timestamptz(),
  },
});
