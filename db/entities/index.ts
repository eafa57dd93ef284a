export * from './customer';
export * from './catalog';
export * from './subscription';
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

import { CustomerSchema } from './customer';
import { PriceSchema, ProductSchema } from './catalog';
import { SubscriptionSchema } from './subscription';
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

export const entities = [
  CustomerSchema,
  ProductSchema,
  PriceSchema,
  SubscriptionSchema,
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
];
