export * from './customer';
export * from './catalog';
export * from './subscription';
export * from './subscription-item';
export * from './invoice';
export * from './payment';
export * from './email';
export * from './api-key';
export * from './refund';
export * from './company-profile';
export * from './webhook-event';
export * from './coupon';
export * from './tax-rate';
export * from './instalment-plan';
export * from './plan-change';
export * from './quote';
export * from './cancellation-request';
export * from './portal-session';
export * from './portal-sign-in';
export * from './autopay-consent';
export * from './payment-link';

import { CustomerSchema } from './customer';
import { PriceSchema, ProductSchema } from './catalog';
import { SubscriptionSchema } from './subscription';
import { SubscriptionItemSchema } from './subscription-item';
import { InvoiceLineSchema, InvoiceSchema } from './invoice';
import { PaymentSchema } from './payment';
import { EmailSchema } from './email';
import { ApiKeySchema } from './api-key';
import { RefundSchema } from './refund';
import { CompanyProfileSchema } from './company-profile';
import { WebhookEventSchema } from './webhook-event';
import { CouponSchema } from './coupon';
import { TaxRateSchema } from './tax-rate';
import { InstalmentPlanSchema, InstalmentSchema } from './instalment-plan';
import { SubscriptionPendingItemSchema, SubscriptionPlanChangeSchema } from './plan-change';
import { OnboardingTaskSchema, QuoteLinkSchema, QuoteSchema, QuoteSignatureSchema, QuoteVersionSchema } from './quote';
import { CancellationRequestSchema } from './cancellation-request';
import { PortalSessionSchema } from './portal-session';
import { ChargeConsentSchema, PortalSignInLinkSchema } from './portal-sign-in';
import { AutopayConsentSchema } from './autopay-consent';
import { CheckoutSessionSchema, PaymentLinkSchema } from './payment-link';

export const entities = [
  CustomerSchema,
  ProductSchema,
  PriceSchema,
  SubscriptionSchema,
  SubscriptionItemSchema,
  InvoiceSchema,
  InvoiceLineSchema,
  PaymentSchema,
  EmailSchema,
  ApiKeySchema,
  RefundSchema,
  CompanyProfileSchema,
  WebhookEventSchema,
  CouponSchema,
  TaxRateSchema,
  InstalmentPlanSchema,
  InstalmentSchema,
  SubscriptionPlanChangeSchema,
  SubscriptionPendingItemSchema,
  QuoteSchema,
  QuoteVersionSchema,
  QuoteSignatureSchema,
  QuoteLinkSchema,
  OnboardingTaskSchema,
  CancellationRequestSchema,
  PortalSessionSchema,
  PortalSignInLinkSchema,
  ChargeConsentSchema,
  AutopayConsentSchema,
  PaymentLinkSchema,
  CheckoutSessionSchema,
];
