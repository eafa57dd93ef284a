/**
 * Prices and hashes a quote version (services/quotes/start-quote.ts) and checks that its payment
 * schedule, if any, can be built from the one-time total in the customer's time zone.
 */
import { MoneyError } from '../../domain/money';
import { InstalmentScheduleError, buildInstalmentSchedule } from '../../domain/instalment-schedule';
import { quoteScheduleInput, type QuoteContent } from '../../domain/quote';
import type { QuoteVersionInput } from '../../workflows/quote/contract';
import type { QuoteConfig } from '../../config';
import { Refusal, invalidInput } from '../../domain/rule-violation';
import { quoteVersionInput } from './start-quote';

/** Prices and hashes a version; pricing and schedule problems are 400s naming the field (under `payment[schedule]`). */
export function priceQuoteVersion(content: QuoteContent, config: QuoteConfig, timeZone: string, now: Date): QuoteVersionInput {
  let version: QuoteVersionInput;
  try {
    version = quoteVersionInput(content, config.approvalThresholdPpm);
  } catch (err) {
    // A pricing input out of range answers for itself (PricingError); money too large is the lines' total.
    if (err instanceof MoneyError) throw new Refusal('amount_too_large', err.message, 'lines');
    throw err;
  }
  const { schedule } = content.payment;
  if (schedule && version.totals.oneTime.total > 0) {
    try {
      buildInstalmentSchedule(quoteScheduleInput(schedule, content.currency, version.totals.oneTime.total, timeZone, now.toISOString()));
    } catch (err) {
      if (err instanceof InstalmentScheduleError) throw invalidInput(`payment[schedule]${err.param.replace(/^([^[]+)/, '[$1]')}`, err.message);
      if (err instanceof MoneyError) throw new Refusal('amount_too_large', err.message, 'payment[schedule]');
      throw err;
    }
  }
  return version;
}
