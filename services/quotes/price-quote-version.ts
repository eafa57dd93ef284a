/**
 * Prices and hashes a quote version (services/quotes/start-quote.ts) and checks that its payment
 * schedule, if any, can be built from the one-time total in the customer's time zone.
 */
import { MoneyError } from '../../domain/money';
import { PricingError } from '../../domain/pricing';
import { InstalmentScheduleError, buildInstalmentSchedule } from '../../domain/instalment-schedule';
import { quoteScheduleInput, type QuoteContent } from '../../domain/quote';
import type { QuoteVersionInput } from '../../workflows/quote/contract';
import type { QuoteConfig } from '../../config';
import { invalidParam, unprocessable } from '../../api/errors';
import { quoteVersionInput } from './start-quote';

/** Prices and hashes a version; pricing and schedule problems are 400s naming the field. */
export function priceQuoteVersion(content: QuoteContent, config: QuoteConfig, timeZone: string, now: Date): QuoteVersionInput {
  let version: QuoteVersionInput;
  try {
    version = quoteVersionInput(content, config.approvalThresholdPpm);
  } catch (err) {
    if (err instanceof PricingError) throw invalidParam(err.param, err.message);
    if (err instanceof MoneyError) throw unprocessable('lines', 'amount_too_large', err.message);
    throw err;
  }
  const { schedule } = content.payment;
  if (schedule && version.totals.oneTime.total > 0) {
    try {
      buildInstalmentSchedule(quoteScheduleInput(schedule, content.currency, version.totals.oneTime.total, timeZone, now.toISOString()));
    } catch (err) {
      if (err instanceof InstalmentScheduleError) throw invalidParam(`payment[schedule]${err.param.replace(/^([^[]+)/, '[$1]')}`, err.message);
      if (err instanceof MoneyError) throw unprocessable('payment[schedule]', 'amount_too_large', err.message);
      throw err;
    }
  }
  return version;
}
