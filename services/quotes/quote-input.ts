/**
 * What a caller asks for when it creates or edits a quote, as plain data in the API's field names
 * (the request bodies of api/quotes/schemas.ts have this shape; the schemas bound each field).
 */
import type { IntervalUnit } from '../../domain/frequency';
import type { QuotePaymentMode, SigningOrder } from '../../domain/quote';

export interface LineRequest {
  price?: string;
  description?: string;
  unit_amount?: number;
  quantity?: number;
}

export interface DiscountRequest {
  coupon?: string;
  percent_off?: string;
  amount_off?: number;
  description?: string;
}

export interface FeeRequest {
  description: string;
  amount?: number;
  percentage?: string;
  taxable?: boolean;
}

export interface SignerRequest {
  kind: 'customer' | 'internal';
  name: string;
  email: string;
  api_key?: string;
}

export interface PaymentRequest {
  one_time?: QuotePaymentMode;
  payment_terms?: string;
  schedule?: {
    count: number;
    interval?: IntervalUnit;
    interval_count?: number;
    down_payment?: { amount?: number; percent?: string };
  };
  subscription_start_date?: string;
}

/** Every field given replaces its own; lines given replace every line. */
export interface QuoteContentChanges {
  title?: string;
  owner?: { name: string; email: string };
  lines?: LineRequest[];
  discounts?: DiscountRequest[];
  fees?: FeeRequest[];
  tax_rates?: string[];
  expires_at?: string;
  terms?: string | null;
  notes?: string | null;
  payment?: PaymentRequest;
  signers?: SignerRequest[];
  signing_order?: SigningOrder;
}

/** A new customer, created with the quote. */
export interface QuoteContact {
  name: string;
  email: string;
  currency: string;
  time_zone?: string;
  default_payment_method?: string;
  account_owner_email?: string;
}

/** Who a quote is for, as its content needs them. */
export type QuoteCustomer = { id: string; name: string; email: string; currency: string; timeZone: string };
