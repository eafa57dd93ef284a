/**
 * Card entry on every page that takes a card (checkout, hosted invoice, portal, registration): the
 * view data for `partials/card-entry.eta` and reading what the customer sent back into a payment
 * method token the gateway charges (`pm_...`).
 *
 * Without Stripe keys the sandbox gateway charges: the form takes Stripe's test card numbers and turns
 * each into the sandbox token that behaves as that card does at Stripe (README "Sandbox test payment
 * methods"). A real card number never reaches this server in sandbox mode's place: it is refused.
 */
import type { Translate } from '../i18n';

/** Stripe's test card numbers and the sandbox token that declines or succeeds as each does. */
export const SANDBOX_TEST_CARDS: Readonly<Record<string, string>> = {
  '4242424242424242': 'pm_card_visa',
  '5555555555554444': 'pm_card_mastercard',
  '4000000000000002': 'pm_card_chargeDeclined',
  '4000000000009995': 'pm_card_chargeDeclinedInsufficientFunds',
  '4000000000000069': 'pm_card_chargeDeclinedExpiredCard',
  '4000000000000119': 'pm_card_chargeDeclinedProcessingError',
};

export interface CardEntryView {
  mode: 'sandbox';
}

export type CardEntryResult = { ok: true; paymentMethod: string } | { ok: false; errors: Record<string, string> };

export interface CardEntry {
  /** What the partial needs to show the card fields. */
  prepare(): Promise<CardEntryView>;
  /** The token for the card the form carried, or each bad field with the message to show beside it. */
  read(body: Record<string, unknown>, t: Translate): Promise<CardEntryResult>;
}

const field = (body: Record<string, unknown>, name: string): string => (typeof body[name] === 'string' ? (body[name] as string) : '');

/** Card entry against the sandbox gateway; `now` decides which expiry dates are past. */
export function sandboxCardEntry(now: () => Date = () => new Date()): CardEntry {
  return {
    async prepare() {
      return { mode: 'sandbox' };
    },
    async read(body, t) {
      const errors: Record<string, string> = {};
      const number = field(body, 'card_number').replace(/[ -]/g, '');
      if (number === '') errors.card_number = t('cardEntry.numberMissing');
      else if (!/^[0-9]{12,19}$/.test(number)) errors.card_number = t('cardEntry.numberInvalid');
      else if (!Object.hasOwn(SANDBOX_TEST_CARDS, number)) errors.card_number = t('cardEntry.numberNotTestCard');

      const expiry = /^\s*(\d{2})\s*\/\s*(\d{2})\s*$/.exec(field(body, 'card_expiry'));
      const month = expiry ? Number(expiry[1]) : 0;
      if (!expiry || month < 1 || month > 12) errors.card_expiry = t('cardEntry.expiryInvalid');
      else {
        // A card is good through the last day of its expiry month (UTC).
        const today = now();
        const expiresAfter = Date.UTC(2000 + Number(expiry[2]), month, 1);
        if (expiresAfter <= today.getTime()) errors.card_expiry = t('cardEntry.expiryPast');
      }
      if (!/^[0-9]{3,4}$/.test(field(body, 'card_cvc').trim())) errors.card_cvc = t('cardEntry.cvcInvalid');

      const paymentMethod = Object.hasOwn(SANDBOX_TEST_CARDS, number) ? SANDBOX_TEST_CARDS[number] : undefined;
      if (Object.keys(errors).length > 0 || !paymentMethod) return { ok: false, errors };
      return { ok: true, paymentMethod };
    },
  };
}
