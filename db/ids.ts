import { v7 as uuidv7 } from 'uuid';

/**
 * Stripe-style ids: a resource prefix and a UUIDv7 without dashes. UUIDv7 starts with the creation
 * time, so ids sort by creation and serve directly as pagination cursors.
 */
export const ID_PREFIXES = {
  customer: 'cus',
  product: 'prod',
  price: 'price',
  subscription: 'sub',
  subscriptionItem: 'si',
  invoice: 'in',
  invoiceLine: 'il',
  payment: 'pay',
  refund: 're',
  email: 'em',
  apiKey: 'key',
  coupon: 'co',
  taxRate: 'txr',
  instalmentPlan: 'ipl',
  instalment: 'inst',
  planChange: 'pchg',
  pendingItem: 'pii',
  cancellationRequest: 'csr',
  quote: 'qt',
  quoteLine: 'qli',
  quoteVersion: 'qtv',
  quoteSignature: 'qsig',
  quoteLink: 'qlnk',
  onboardingTask: 'onb',
  portalSession: 'bps',
  portalSignInLink: 'psli',
  chargeConsent: 'ccon',
  autopayConsent: 'apc',
  paymentLink: 'plink',
  checkoutSession: 'cs',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${uuidv7().replace(/-/g, '')}`;
}
