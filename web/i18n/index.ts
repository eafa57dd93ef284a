/**
 * Strings and the way money and dates read, per locale. English is the only locale so far; a request's
 * locale is resolved here so adding one is adding a strings file and a line in `LOCALES`.
 */
import { DateTime } from 'luxon';
import { formatMoney } from '../../domain/money';
import { en, type Strings } from './en';

const LOCALES: Record<string, { strings: Strings; intl: string }> = {
  en: { strings: en, intl: 'en-US' },
};
export const DEFAULT_LOCALE = 'en';

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

export interface Formatters {
  locale: string;
  t: Translate;
  /** Integer minor units in `currency`, as the locale writes them: 2900 usd → "$29.00". */
  money: (minorUnits: number, currency: string) => string;
  /** An instant as a date in the customer's time zone (UTC when none): "Dec 2, 2026". */
  date: (instant: Date | string, timeZone?: string | null) => string;
}

/** The locale to use from an Accept-Language header: the first one we have strings for, else English. */
export function resolveLocale(acceptLanguage: string | undefined): string {
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.split(';', 1)[0]!.trim().toLowerCase().split('-', 1)[0]!;
    if (Object.hasOwn(LOCALES, tag)) return tag;
  }
  return DEFAULT_LOCALE;
}

export function formatters(locale: string): Formatters {
  const { strings, intl } = (Object.hasOwn(LOCALES, locale) ? LOCALES[locale] : LOCALES[DEFAULT_LOCALE])!;
  const t: Translate = (key, vars) => {
    const [section, name] = key.split('.', 2) as [keyof Strings, string];
    const text = (strings[section] as Record<string, string> | undefined)?.[name];
    // A missing string is a programming error: show the key so a page test's text assertion catches it.
    if (text === undefined) return key;
    return vars ? text.replace(/\{(\w+)\}/g, (whole, v: string) => (v in vars ? String(vars[v]) : whole)) : text;
  };
  return {
    locale,
    t,
    money: (amount, currency) => formatMoney({ amount, currency }, intl),
    date: (instant, timeZone) =>
      DateTime.fromJSDate(typeof instant === 'string' ? new Date(instant) : instant, { zone: timeZone ?? 'UTC' })
        .setLocale(intl)
        .toLocaleString(DateTime.DATE_MED),
  };
}
