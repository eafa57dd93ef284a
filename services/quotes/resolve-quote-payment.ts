/**
 * How a quote is paid: the one-time total charged, invoiced or split into a payment schedule, on
 * which payment terms, and when the subscriptions of its recurring lines start.
 */
import { defaultPaymentTerms, type PaymentTerms } from '../../domain/payment-terms';
import type { QuotePayment } from '../../domain/quote';
import { invalidInput } from '../../domain/rule-violation';
import type { PaymentRequest } from './quote-input';

/** A date this far in the past is a client clock skew, treated as "now"; further back is an error. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export function resolveQuotePayment(input: PaymentRequest, now: Date): QuotePayment {
  const oneTime = input.one_time ?? 'charge_now';
  if (oneTime === 'payment_schedule' && !input.schedule) throw invalidInput('payment[schedule]', 'payment[schedule] is required for one_time=payment_schedule.');
  if (oneTime !== 'payment_schedule' && input.schedule) throw invalidInput('payment[schedule]', 'payment[schedule] is only for one_time=payment_schedule.');
  const s = input.schedule;
  if (s?.down_payment && (s.down_payment.amount === undefined) === (s.down_payment.percent === undefined)) {
    throw invalidInput('payment[schedule][down_payment]', 'down_payment takes either amount or percent.');
  }
  if (input.subscription_start_date !== undefined && Date.parse(input.subscription_start_date) < now.getTime() - CLOCK_SKEW_MS) {
    throw invalidInput('payment[subscription_start_date]', 'payment[subscription_start_date] must not be in the past.');
  }
  return {
    oneTime,
    paymentTerms: (input.payment_terms as PaymentTerms | undefined) ?? defaultPaymentTerms(oneTime === 'send_invoice' ? 'send_invoice' : 'charge_automatically'),
    schedule: s
      ? {
          count: s.count,
          interval: { unit: s.interval ?? 'month', count: s.interval_count ?? 1 },
          downPayment: s.down_payment ? (s.down_payment.amount !== undefined ? { amount: s.down_payment.amount } : { percent: s.down_payment.percent! }) : null,
        }
      : null,
    subscriptionStartDate: input.subscription_start_date === undefined ? null : new Date(input.subscription_start_date).toISOString(),
  };
}
