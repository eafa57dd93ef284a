/** The request and response shapes of `/v1/customers`. */
import { Type } from 'typebox';
import { InstalmentBalance } from '../instalment-plans/balances';
import { Address, CurrencyCode, PaymentMethodId, Metadata, Nullable, Timestamp } from '../schemas';

/** How a customer resource shows its revenue (services/customers/customer-revenue.ts computes it). */
export const CustomerRevenueFields = {
  next_renewal_date: Nullable(
    Type.String({
      format: 'date-time',
      description: 'Earliest next billing date over the customer’s active, past_due and unpaid subscriptions; null when none has one',
    }),
  ),
  mrr: Type.Integer({
    description:
      'Monthly recurring revenue in integer minor units of the customer’s currency: unit_amount × quantity of every item of each active or ' +
      'past_due subscription, per month (a month is a twelfth of a year of 52 weeks or 365 days), summed exactly and rounded ' +
      'half-up once. Before discounts, fees and taxes.',
  }),
};

export const CustomerResource = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('customer'),
    email: Type.String(),
    name: Type.String(),
    currency: Type.String(),
    time_zone: Type.String(),
    billing_address: Nullable(Address),
    default_payment_method: Nullable(Type.String()),
    account_owner_email: Nullable(Type.String({ description: 'Copied on final payment failure notices' })),
    metadata: Metadata,
    ...CustomerRevenueFields,
    created_at: Timestamp,
  },
  { $id: 'Customer' },
);

/** The retrieved customer: the resource plus its instalment plan balances (one entry per currency). */
export const CustomerDetailResource = Type.Object(
  {
    ...CustomerResource.properties,
    instalment_balances: Type.Array(InstalmentBalance, { description: 'Totals over the customer’s instalment plans, per currency' }),
  },
  { $id: 'CustomerDetail' },
);

export const CreateCustomer = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    currency: CurrencyCode,
    time_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone; default UTC', examples: ['Europe/Paris'] })),
    billing_address: Type.Optional(Address),
    default_payment_method: Type.Optional(PaymentMethodId),
    account_owner_email: Type.Optional(
      Type.String({ format: 'email', maxLength: 254, description: 'Who on your side looks after the account; told when collection fails for good' }),
    ),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const PaymentMethodBody = Type.Object(
  {
    payment_method: PaymentMethodId,
  },
  { additionalProperties: false },
);
