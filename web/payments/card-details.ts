/**
 * The sandbox card form's rules: what a card number, an expiry date and a CVC must look like, and
 * which of Stripe's test card numbers stands for which sandbox payment method. Pure (the clock is
 * an argument), so the rules are tested without a page; the messages live in web/i18n (`cardEntry`),
 * keyed by the problem codes below.
 */

/** What is wrong with one field, as a key of the `cardEntry.errors` strings. */
export type CardFieldProblem =
  | 'number_required'
  | 'number_characters'
  | 'number_length'
  | 'number_luhn'
  | 'number_not_test_card'
  | 'expiry_required'
  | 'expiry_format'
  | 'expiry_past'
  | 'cvc_required'
  | 'cvc_format'
  | 'authentication_required'
  | 'authentication_failed';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: CardFieldProblem };

/** A Stripe test card as the sandbox knows it. */
export interface SandboxTestCard {
  /** The sandbox gateway's payment method for it (activities/payments/sandbox-gateway.ts). */
  paymentMethod: string;
  /** The card asks for 3-D Secure when it is saved: the form shows the simulated authentication step. */
  threeDSecure: boolean;
}

/**
 * Stripe's test card numbers (https://docs.stripe.com/testing) and the test payment method each one
 * is in Stripe test mode, so a card typed in the sandbox behaves as the same card would at Stripe.
 */
export const STRIPE_TEST_CARDS: ReadonlyMap<string, SandboxTestCard> = new Map([
  ['4242424242424242', { paymentMethod: 'pm_card_visa', threeDSecure: false }],
  ['4000056655665556', { paymentMethod: 'pm_card_visa_debit', threeDSecure: false }],
  ['5555555555554444', { paymentMethod: 'pm_card_mastercard', threeDSecure: false }],
  ['378282246310005', { paymentMethod: 'pm_card_amex', threeDSecure: false }],
  ['4000000000000002', { paymentMethod: 'pm_card_chargeDeclined', threeDSecure: false }],
  ['4000000000009995', { paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds', threeDSecure: false }],
  ['4000000000000069', { paymentMethod: 'pm_card_chargeDeclinedExpiredCard', threeDSecure: false }],
  ['4000000000000119', { paymentMethod: 'pm_card_chargeDeclinedProcessingError', threeDSecure: false }],
  // 3-D Secure on setup only: once authenticated here, off-session charges succeed.
  ['4000002500003155', { paymentMethod: 'pm_card_authenticationRequiredOnSetup', threeDSecure: true }],
  // 3-D Secure on every payment: saved after authenticating, then every off-session charge declines
  // with authentication_required.
  ['4000002760003184', { paymentMethod: 'pm_card_authenticationRequired', threeDSecure: true }],
]);

/** Spaces and dashes are how people group the digits; anything else (letters, other scripts' digits) is refused. */
const CARD_NUMBER_TYPED = /^[0-9 -]+$/;

/** The Luhn checksum every card number carries in its last digit. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The card number's digits, from what was typed (`4242 4242-4242 4242`). */
export function parseCardNumber(raw: string | undefined): Parsed<string> {
  const typed = (raw ?? '').trim();
  if (typed === '') return { ok: false, problem: 'number_required' };
  if (!CARD_NUMBER_TYPED.test(typed)) return { ok: false, problem: 'number_characters' };
  const digits = typed.replace(/[ -]/g, '');
  // Card numbers run from 12 (some Maestro) to 19 digits.
  if (digits.length < 12 || digits.length > 19) return { ok: false, problem: 'number_length' };
  if (!passesLuhn(digits)) return { ok: false, problem: 'number_luhn' };
  return { ok: true, value: digits };
}

export interface CardExpiry {
  month: number;
  /** Four digits. */
  year: number;
}

/**
 * The expiry date as printed on cards: `MM/YY` (also `MM / YY`, `MM-YY`, `MMYY`, `MM/YYYY`). A card
 * is good through the last day of its expiry month; the month is compared in UTC, the calendar the
 * card networks use. `now` comes from the caller (tests pass a fixed clock).
 */
export function parseExpiry(raw: string | undefined, now: Date): Parsed<CardExpiry> {
  const typed = (raw ?? '').trim();
  if (typed === '') return { ok: false, problem: 'expiry_required' };
  const match = /^(\d{1,2})\s*[/-]?\s*(\d{2}|\d{4})$/.exec(typed);
  if (!match?.[1] || !match[2]) return { ok: false, problem: 'expiry_format' };
  const month = Number(match[1]);
  if (month < 1 || month > 12) return { ok: false, problem: 'expiry_format' };
  // Two-digit years are this century's, as the card networks print them.
  const year = match[2].length === 2 ? 2000 + Number(match[2]) : Number(match[2]);
  const thisYear = now.getUTCFullYear();
  const thisMonth = now.getUTCMonth() + 1;
  if (year < thisYear || (year === thisYear && month < thisMonth)) return { ok: false, problem: 'expiry_past' };
  return { ok: true, value: { month, year } };
}

/** Three digits on the back, four on the front of an American Express card. */
export function parseCvc(raw: string | undefined): Parsed<string> {
  const typed = (raw ?? '').trim();
  if (typed === '') return { ok: false, problem: 'cvc_required' };
  if (!/^[0-9]{3,4}$/.test(typed)) return { ok: false, problem: 'cvc_format' };
  return { ok: true, value: typed };
}

/** The simulated 3-D Secure step's answer, from the form's hidden field (set by the page's script). */
export type ThreeDSecureResult = 'completed' | 'failed' | 'none';

export function threeDSecureResultOf(raw: string | undefined): ThreeDSecureResult {
  return raw === 'completed' || raw === 'failed' ? raw : 'none';
}

export interface SandboxCardInput {
  number?: string;
  expiry?: string;
  cvc?: string;
  threeDSecure?: string;
}

export type SandboxCardField = 'number' | 'expiry' | 'cvc';

export type SandboxCardResult =
  | { ok: true; paymentMethod: string; card: SandboxTestCard }
  | { ok: false; problems: Partial<Record<SandboxCardField, CardFieldProblem>> };

/**
 * Checks the three fields, then maps the number to its test payment method. A 3-D Secure test card
 * needs the authentication step's answer: none (no JavaScript, or the step skipped) asks for it,
 * failed refuses the card, as Stripe refuses a SetupIntent whose authentication failed.
 */
export function readSandboxCard(input: SandboxCardInput, now: Date): SandboxCardResult {
  const number = parseCardNumber(input.number);
  const card = number.ok ? STRIPE_TEST_CARDS.get(number.value) : undefined;
  const expiry = parseExpiry(input.expiry, now);
  const cvc = parseCvc(input.cvc);
  const problems: Partial<Record<SandboxCardField, CardFieldProblem>> = {};
  if (!number.ok) problems.number = number.problem;
  else if (!card) problems.number = 'number_not_test_card';
  if (!expiry.ok) problems.expiry = expiry.problem;
  if (!cvc.ok) problems.cvc = cvc.problem;
  if (!card || !expiry.ok || !cvc.ok) return { ok: false, problems };

  // Asked last, as Stripe asks: only a card that is otherwise fine gets to its bank's 3-D Secure step.
  if (card.threeDSecure) {
    const result = threeDSecureResultOf(input.threeDSecure);
    if (result === 'none') return { ok: false, problems: { number: 'authentication_required' } };
    if (result === 'failed') return { ok: false, problems: { number: 'authentication_failed' } };
  }
  return { ok: true, paymentMethod: card.paymentMethod, card };
}

/** Whether typed digits are one of the 3-D Secure test cards (the page's script asks the same through a data attribute). */
export function needsSandboxThreeDSecure(rawNumber: string | undefined): boolean {
  const number = parseCardNumber(rawNumber);
  return number.ok && STRIPE_TEST_CARDS.get(number.value)?.threeDSecure === true;
}
